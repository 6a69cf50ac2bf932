using Orchestrator.Node.Demo;
using Spectre.Console;

namespace Orchestrator.Node.Tests.Demo;

/// <summary>`orchestrator demo --devices-only` end to end with instant device latencies.</summary>
public class DeviceDemoTests
{
    private static (IAnsiConsole Console, StringWriter Output) Capture()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        return (console, output);
    }

    [Fact]
    public async Task Demo_migrates_byte_identical_state_and_shows_the_refused_incompatible_load()
    {
        var (console, output) = Capture();
        var exit = await DeviceDemo.RunAsync(new DemoSettings(null, 42, "vm-web", 0), console, CancellationToken.None);
        var text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("checksums equal", text, StringComparison.Ordinal);
        Assert.Contains("firmware mismatch: stream '28.41.1000', target '28.39.2048'", text, StringComparison.Ordinal);
        Assert.StartsWith("demo: OK", text.Split('\n').Last(l => l.StartsWith("demo:", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_refuses_a_bad_topology_naming_file_line_and_value_and_starts_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "hosts:\n  - id: h\n    pfs:\n      - { address: \"0000:01:00.0\", driver: mlx9, deviceType: X, firmware: \"1\", maxVfs: 2, profiles: [a] }\n");
        try
        {
            var (console, output) = Capture();
            var exit = await DeviceDemo.RunAsync(new DemoSettings(path, 1, "vm-web", 0), console, CancellationToken.None);
            Assert.Equal(2, exit);
            Assert.Contains($"{path}:4:", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("unknown driver 'mlx9'", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Demo_names_an_unknown_workload()
    {
        var (console, output) = Capture();
        var exit = await DeviceDemo.RunAsync(new DemoSettings(null, 42, "vm-nope", 0), console, CancellationToken.None);
        Assert.Equal(2, exit);
        Assert.Contains("unknown workload 'vm-nope'", output.ToString(), StringComparison.Ordinal);
    }
}
