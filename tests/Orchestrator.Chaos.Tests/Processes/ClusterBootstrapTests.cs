using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Chaos.Harness;
using Orchestrator.Chaos.Processes;
using Orchestrator.Chaos.Tests.Harness;
using Orchestrator.Devices.Topology;
using Orchestrator.Testing;

namespace Orchestrator.Chaos.Tests.Processes;

/// <summary>
/// Cluster Bootstrap on three real node processes, each on its own loopback address and cgroup so that it can be cut
/// off: the lowest contact point (node-1) forms the cluster at a cold start; killed and restarted while cut off from the
/// others, it keeps probing for 60 s and never forms a cluster of its own; healed, it joins the running one.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ClusterBootstrapTests : IDisposable
{
    private static readonly TimeSpan Partitioned = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-bootstrap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_first_contact_point_restarted_while_cut_off_never_forms_its_own_cluster_and_joins_when_healed()
    {
        using var partitions = Partitions.TryCreate(out var why);
        Assert.True(partitions is not null, $"this test cuts a node off with iptables and cgroups: {why}");
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var cluster = LocalCluster.Prepare(new LocalClusterOptions
        {
            Nodes = 3,
            ApiPortBase = LocalCluster.FreeApiPortBase(3),
            StateDirectory = _dir,
            Quick = true,
            DirectoryName = "bootstrap",
            NodeAddress = Partitions.NodeAddress,
        }, DemoTopology.Find()!, 3, token);
        foreach (var node in cluster.Nodes)
        {
            partitions.Enroll(node);
        }

        try
        {
            cluster.Start();
            using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            {
                await cluster.WaitReadyAsync(TimeProvider.System, start.Token);
            }

            var (first, others) = (cluster.Nodes[0], cluster.Nodes.Skip(1).ToList());
            Assert.Equal(3, (await LocalCluster.MembersAsync(others[0])).Count);
            var formedBefore = CountIn(first.LogPath, "Initiating new cluster");
            Assert.Equal(1, formedBefore); // the cold start: node-1, the lowest contact point, formed it

            // kill -9: to the others it is a node that stopped answering; it comes back on the same addresses, cut off.
            LocalCluster.KillNode(first);
            Assert.Null(partitions.Cut([first], others));
            cluster.StartNode(first);

            var cutOff = Stopwatch.StartNew();
            while (cutOff.Elapsed < Partitioned)
            {
                var seen = await LocalCluster.MembersAsync(first);
                Assert.True(seen.Count == 0, $"node-1 is a member of a cluster of its own after {cutOff.Elapsed.TotalSeconds:0} s cut off: [{string.Join(", ", seen)}]");
                if (first.Process!.HasExited)
                {
                    Assert.Fail($"node-1 exited while cut off (code {first.Process.ExitCode}); see {first.LogPath}");
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            // Meanwhile the others went on as a cluster of two (the split-brain resolver downed the old node-1).
            Assert.Equal(2, (await LocalCluster.MembersAsync(others[0])).Count);
            Assert.Equal(formedBefore, CountIn(first.LogPath, "Initiating new cluster"));

            partitions.HealAll();
            using (var healed = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            {
                var (ready, reason) = await cluster.WaitNodeReadyAsync(first, TimeSpan.FromSeconds(60), TimeProvider.System, healed.Token);
                Assert.True(ready, $"node-1 did not join after the partition healed: {reason}");
            }

            // One cluster of three, as each node sees it.
            foreach (var node in cluster.Nodes)
            {
                await Eventually.TrueAsync(async () => (await LocalCluster.MembersAsync(node)).Count == 3, $"{node.Name} to count 3 members", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300));
            }

            Assert.Equal(formedBefore, CountIn(first.LogPath, "Initiating new cluster"));
        }
        finally
        {
            partitions.HealAll();
            cluster.Stop();
        }
    }

    private static int CountIn(string path, string text) =>
        File.Exists(path) ? File.ReadLines(path).Count(l => l.Contains(text, StringComparison.Ordinal)) : 0;
}
