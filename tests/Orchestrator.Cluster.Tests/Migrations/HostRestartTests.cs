using Orchestrator.Cluster.Hosting;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>What a host remembers across a restart of its node (the hardware outlives the process).</summary>
public class HostRestartTests
{
    [Fact]
    public async Task A_cordoned_host_keeps_the_topology_workload_labels_and_its_cordon_after_its_node_restarts()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var hostsRole = new[] { ClusterRoles.Hosts };
        await cluster.StartNodeAsync("coord-1", [], TestCluster.DefaultOptions, [ClusterRoles.Coordinator]);
        var devices = await cluster.StartNodeAsync("devices-1", ["host-a"], TestCluster.DefaultOptions, hostsRole);
        var client = cluster["coord-1"].Client;
        await client.WaitForHostsAsync(1, TimeSpan.FromSeconds(15));
        var hostA = HostId.Parse("host-a");

        // The journal of host-a now holds a cordon and nothing about the topology's labels.
        Assert.True((await client.CordonAsync(hostA, cordon: true, "maintenance")).IsOk);
        await devices.CrashAsync();
        await cluster.StartNodeAsync("devices-1b", ["host-a"], TestCluster.DefaultOptions, hostsRole);

        // Once the new incarnation is in the directory: labels from the topology, cordon from the journal. (The old
        // version applied the topology's labels only when the journal was empty, so vm-1 and vm-2 ran on no host.)
        await Eventually.AssertAsync(
            async () =>
            {
                var inventory = (await client.GetInventoryAsync()).Inventory;
                var host = inventory.FindHost(hostA);
                Assert.NotNull(host);
                Assert.Equal("devices-1b", host.NodeName);
                Assert.True(host.Cordoned);
                var labels = host.Pfs.SelectMany(p => p.Vfs).OrderBy(v => v.Id.Index).Select(v => v.Workload?.ToString());
                Assert.Equal(["vm-1", "vm-2", "vm-2"], labels);
            },
            TimeSpan.FromSeconds(30));
    }
}
