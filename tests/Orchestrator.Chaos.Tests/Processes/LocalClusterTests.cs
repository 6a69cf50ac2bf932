using Orchestrator.Chaos.Processes;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Chaos.Tests.Processes;

/// <summary>What <see cref="LocalCluster"/> writes before it starts a node: ports, and what it says when a node dies.</summary>
public sealed class LocalClusterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-local-cluster-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void No_node_is_given_an_api_port_of_the_cluster_for_remoting_or_management()
    {
        // The API ports are chosen free but not held; the kernel hands a port it just released out again, and a node
        // whose remoting had taken its own API port exited at start ("address already in use").
        for (var run = 0; run < 40; run++)
        {
            var cluster = LocalCluster.Prepare(new LocalClusterOptions
            {
                Nodes = 3,
                ApiPortBase = LocalCluster.FreeApiPortBase(3),
                StateDirectory = _dir,
                DirectoryName = $"ports-{run}",
            }, DemoTopology.Find()!, 3, "token");

            var api = cluster.Nodes.Select(n => n.Api.Port).ToHashSet();
            var others = cluster.Nodes.SelectMany(n => new[] { n.AkkaPort, n.ManagementPort }).ToList();
            Assert.DoesNotContain(others, api.Contains);
            Assert.Equal(6, others.Distinct().Count());
        }
    }

    [Fact]
    public void A_log_that_ends_in_a_stack_trace_is_told_by_the_line_that_named_the_exception()
    {
        var log = Path.Combine(_dir, "node-1.log");
        File.WriteAllLines(log, [
            "orchestrator node: node-1 serving the API on http://127.0.0.1:43623/api/v1",
            "fail: Microsoft.Extensions.Hosting.Internal.Host[11] Hosting failed to start System.IO.IOException: Failed to bind to address http://127.0.0.1:43623: address already in use.",
            .. Enumerable.Range(0, 12).Select(i => $"   at Frame{i}()"),
        ]);

        var tail = LocalCluster.Tail(log);

        Assert.StartsWith("    | fail: Microsoft.Extensions.Hosting.Internal.Host[11] Hosting failed to start", tail, StringComparison.Ordinal);
        Assert.Contains("at Frame11()", tail, StringComparison.Ordinal);
        Assert.DoesNotContain("serving the API", tail, StringComparison.Ordinal);
    }
}
