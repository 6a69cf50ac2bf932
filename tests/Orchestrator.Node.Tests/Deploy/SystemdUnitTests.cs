using System.Globalization;
using System.Text.RegularExpressions;
using Orchestrator.Node.Tests.Api;

namespace Orchestrator.Node.Tests.Deploy;

/// <summary>
/// <c>deploy/systemd/orchestrator@.service</c> judged by systemd itself: <c>systemd-analyze verify</c> accepts it and
/// <c>systemd-analyze security</c> scores its exposure at most 4.0 (on an instance copy, as systemd needs one).
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const double MaxExposure = 4.0;
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-systemd-").FullName;
    private readonly string _unit;

    public SystemdUnitTests()
    {
        _unit = Path.Combine(_dir, "orchestrator@node-1.service");
        File.Copy(Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "systemd", "orchestrator@.service"), _unit);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_unit_verifies_and_notifies_systemd()
    {
        var (exit, output) = await ExternalTool.RunAsync("systemd-analyze", $"verify \"{_unit}\"");

        Assert.True(exit == 0 && string.IsNullOrWhiteSpace(output), $"systemd-analyze verify (exit {exit}):\n{output}");
        Assert.Contains("Type=notify", await File.ReadAllTextAsync(_unit), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_unit_exposure_is_at_most_4()
    {
        var (exit, output) = await ExternalTool.RunAsync("systemd-analyze", $"security --offline=true --no-pager \"{_unit}\"");

        var level = Regex.Match(output, @"Overall exposure level for \S+: (?<level>\d+(\.\d+)?)");
        Assert.True(level.Success, $"systemd-analyze security (exit {exit}) printed no exposure level:\n{output}");
        var exposure = double.Parse(level.Groups["level"].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= MaxExposure, $"exposure {exposure} > {MaxExposure}:\n{output}");
    }
}
