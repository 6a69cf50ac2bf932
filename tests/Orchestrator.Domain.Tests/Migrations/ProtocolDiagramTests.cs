using Orchestrator.Domain.Migrations;

namespace Orchestrator.Domain.Tests.Migrations;

public sealed class ProtocolDiagramTests
{
    private const string Begin = "<!-- protocol-arcs:begin -->\n```\n";
    private const string End = "```\n<!-- protocol-arcs:end -->";

    [Fact]
    public void Readme_diagram_matches_the_arcs_in_code()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var readme = File.ReadAllText(Path.Combine(dir.FullName, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md lacks the protocol-arcs block");
        var text = readme[(start + Begin.Length)..end];
        Assert.Equal(MigrationProtocol.Diagram(), text);
    }

    [Fact]
    public void Every_non_terminal_phase_has_a_way_out()
    {
        foreach (var phase in Enum.GetValues<MigrationPhase>().Where(p => !MigrationProtocol.IsTerminal(p)))
        {
            Assert.Contains(MigrationProtocol.Arcs, a => a.From == phase);
        }

        Assert.DoesNotContain(MigrationProtocol.Arcs, a => MigrationProtocol.IsCommitted(a.From) && a.To is MigrationPhase.RollingBack or MigrationPhase.RolledBack);
    }
}
