using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Orchestrator.Node.Cli.Client;
using Orchestrator.Node.Demo;

namespace Orchestrator.Node.Tests.Demo;

/// <summary>
/// The real thing: `orchestrator demo --quick --keep` starts three `orchestrator node` processes of this build, runs
/// the scenario through their API, keeps them for the client verbs, and `demo --stop` ends every one of them.
/// </summary>
public sealed class ClusterDemoEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-demo-e2e-").FullName;

    public void Dispose()
    {
        LocalCluster.StopKept(_dir, TextWriter.Null);
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Demo_runs_on_three_node_processes_the_cli_talks_to_them_and_stop_leaves_no_process()
    {
        var (console, output) = DemoTestSupport.Capture();
        var portBase = DemoTestSupport.FreePortBase(3);
        var options = new DemoOptions { Nodes = 3, ApiPortBase = portBase, StateDirectory = _dir, Quick = true, Keep = true };
        var exit = await ClusterDemo.RunAsync(options, console, TimeProvider.System, CancellationToken.None);
        var text = output.ToString();
        var pids = text.Split('\n').Where(l => l.Contains(": pid ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(": pid ")[1].Split(',')[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, pids.Count);
        int stopped;
        try
        {
            Assert.True(exit == 0, text + Logs());
            var summary = DemoTestSupport.LastDemoLine(text);
            Assert.Matches(@"^demo: [1-9]\d* completed, [1-9]\d* rolled back, 0 failed$", summary);
            Assert.Contains("FirmwareIncompatible", text, StringComparison.Ordinal);

            // Each node wrote its spans (tracing.file): the demo's migrations are traced.
            var spans = Directory.GetFiles(Path.Combine(_dir, "demo"), "*.spans.jsonl").SelectMany(ReadShared).ToList();
            Assert.Contains(spans, l => l.Contains("\"migration.start\"", StringComparison.Ordinal));
            Assert.Contains(spans, l => l.Contains("\"pf stop-copy\"", StringComparison.Ordinal));
            Assert.Equal(3, LocalCluster.LiveKept(_dir).Count);

            // The client verbs against a real node (the token comes from the demo's token file).
            var token = (await File.ReadAllTextAsync(Path.Combine(_dir, LocalCluster.TokenFileName))).Trim();
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var io = new CliIo(console, stdout, stderr, TimeProvider.System, _ => null, _dir);
            var root = new RootCommand();
            foreach (var c in ClientCommands.Create(io))
            {
                root.Add(c);
            }

            var api = $"--api http://127.0.0.1:{portBase + 1} --token {token}";
            Assert.Equal(0, await root.Parse($"hosts --json {api}").InvokeAsync());
            using (var hosts = JsonDocument.Parse(stdout.ToString()))
            {
                Assert.Equal(3, hosts.RootElement.GetArrayLength());
            }

            stdout.GetStringBuilder().Clear();
            Assert.Equal(0, await root.Parse($"migrations --json {api}").InvokeAsync());
            using (var migrations = JsonDocument.Parse(stdout.ToString()))
            {
                Assert.Contains(migrations.RootElement.EnumerateArray(), m => m.GetProperty("state").GetString() == "Completed");
            }

            Assert.Equal(ExitCodes.NotFound, await root.Parse($"watch m-doesnotexist {api}").InvokeAsync());
            Assert.Equal(ExitCodes.Unreachable, await root.Parse($"cordon host-a --api http://127.0.0.1:{portBase} --token wrong").InvokeAsync());
        }
        finally
        {
            // Asserted after the block: an assertion here would mask a failure above with the count of what was left.
            stopped = LocalCluster.StopKept(_dir, TextWriter.Null);
        }

        Assert.Equal(3, stopped);

        Assert.All(pids, pid => Assert.False(File.Exists($"/proc/{pid}/cmdline") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"pid {pid} still runs"));
        Assert.False(File.Exists(LocalCluster.PidFile(_dir)));
    }

    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private string Logs() => string.Join('\n', Directory.GetFiles(Path.Combine(_dir, "demo"), "*.log").Select(f => $"--- {f}\n{LocalCluster.Tail(f, 30)}"));
}
