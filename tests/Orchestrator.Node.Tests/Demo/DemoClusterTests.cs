using Orchestrator.Chaos.Processes;
using Orchestrator.Node.Demo;

namespace Orchestrator.Node.Tests.Demo;

/// <summary>The demo's process handling without a real node: topology spreading, a node that dies, bad options.</summary>
public sealed class DemoClusterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Hosts_are_spread_round_robin_over_the_nodes()
    {
        const string yaml = "hosts:\n  - id: a\n    node: node-1\n  - id: b\n    node: node-2\n  - id: c\n    node: node-3\n";
        Assert.Equal("hosts:\n  - id: a\n    node: node-1\n  - id: b\n    node: node-2\n  - id: c\n    node: node-1\n", LocalCluster.SpreadHosts(yaml, 2));
        Assert.Equal(yaml, LocalCluster.SpreadHosts(yaml, 3));
    }

    [Fact]
    public async Task A_node_that_dies_fails_the_demo_with_its_log_and_leaves_no_process_or_pid_file()
    {
        var (console, output) = DemoTestSupport.Capture();
        var options = new DemoOptions
        {
            Nodes = 2,
            ApiPortBase = DemoTestSupport.FreePortBase(2),
            StateDirectory = _dir,
            NodeCommand = ["/bin/sh", "-c", "echo 'no node in this build' >&2; exit 3", "fake-node"],
        };
        var exit = await ClusterDemo.RunAsync(options, console, TimeProvider.System, CancellationToken.None);
        var text = output.ToString();
        Assert.True(exit == 1, text);
        Assert.Equal("demo: 0 completed, 0 rolled back, 1 failed", DemoTestSupport.LastDemoLine(text));
        Assert.Contains("node-1 exited with code 3", text, StringComparison.Ordinal);
        Assert.Contains("no node in this build", text, StringComparison.Ordinal);
        Assert.False(File.Exists(LocalCluster.PidFile(_dir)));
        Assert.Empty(LocalCluster.LiveKept(_dir));
        Assert.True(File.Exists(Path.Combine(_dir, LocalCluster.TokenFileName)));
    }

    [Fact]
    public async Task A_node_that_never_answers_is_stopped_after_the_start_timeout()
    {
        var (console, output) = DemoTestSupport.Capture();
        var options = new DemoOptions
        {
            Nodes = 1,
            ApiPortBase = DemoTestSupport.FreePortBase(1),
            StateDirectory = _dir,
            StartTimeout = TimeSpan.FromSeconds(1),
            NodeCommand = ["/bin/sh", "-c", "exec sleep 60", "fake-node"],
        };
        var exit = await ClusterDemo.RunAsync(options, console, TimeProvider.System, CancellationToken.None);
        var text = output.ToString();
        Assert.Equal(1, exit);
        Assert.Contains("not ready after 1 s", text, StringComparison.Ordinal);
        var pid = int.Parse(text.Split("pid ")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(pid), $"pid {pid} still runs");
        Assert.Equal("demo: 0 completed, 0 rolled back, 1 failed", DemoTestSupport.LastDemoLine(text));
    }

    [Theory]
    [InlineData(0, 7401, "--nodes: bad value '0'")]
    [InlineData(3, 80, "--api-port-base: bad value '80'")]
    public async Task Bad_options_are_named_and_start_nothing(int nodes, int portBase, string message)
    {
        var (console, output) = DemoTestSupport.Capture();
        var exit = await ClusterDemo.RunAsync(new DemoOptions { Nodes = nodes, ApiPortBase = portBase, StateDirectory = _dir }, console, TimeProvider.System, CancellationToken.None);
        Assert.Equal(2, exit);
        Assert.Contains(message, output.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "demo")));
    }

    private static bool IsRunning(int pid) => File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z";
}
