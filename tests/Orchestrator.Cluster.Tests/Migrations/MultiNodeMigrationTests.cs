using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>Three ActorSystems on 127.0.0.1 forming one cluster; each runs one host's devices.</summary>
public class MultiNodeMigrationTests
{
    [Fact]
    public async Task Single_and_multi_vf_workloads_migrate_across_three_nodes()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        await cluster.StartNodeAsync("node-1", ["host-a"]);
        await cluster.StartNodeAsync("node-2", ["host-b"]);
        var node3 = await cluster.StartNodeAsync("node-3", ["host-c"]);
        await node3.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(15));

        // Ask a node that holds neither the source nor the target devices.
        var single = MigrationId.Parse("m-multi-node-1");
        Assert.True((await node3.Client.StartMigrationAsync(single, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        var multi = MigrationId.Parse("m-multi-node-2");
        Assert.True((await node3.Client.StartMigrationAsync(multi, WorkloadId.Parse("vm-2"), HostId.Parse("host-b"))).IsOk);

        var singleEnd = await cluster.WaitForCompletedAsync(single, TimeSpan.FromSeconds(30));
        var multiEnd = await cluster.WaitForCompletedAsync(multi, TimeSpan.FromSeconds(30));
        Assert.Equal(2, multiEnd.Vfs.Count);
        Assert.All(multiEnd.Vfs, pair => Assert.Equal(HostId.Parse("host-b"), pair.Target.Host));

        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        Assert.Empty(source.ListVfs());
        Assert.Equal(3, target.ListVfs().Count);
        Assert.All(target.ListVfs(), vf => Assert.Equal(VfioDeviceState.Running, vf.State));

        // Every node's inventory already agrees on where the workloads run now: read once, no waiting (invariant 7).
        foreach (var node in cluster.Nodes)
        {
            var inventory = (await node.Client.GetInventoryAsync()).Inventory;
            Assert.All(inventory.VfsOf(WorkloadId.Parse("vm-2")), vf => Assert.Equal(HostId.Parse("host-b"), vf.Id.Host));
            Assert.Equal(2, inventory.VfsOf(WorkloadId.Parse("vm-2")).Count);
        }
    }

    [Fact]
    public async Task The_checker_passes_the_history_of_clean_migrations_and_catches_a_skipped_commit_checkpoint()
    {
        // Clean run: every invariant holds on what the nodes recorded.
        await using (var clean = TestCluster.Create(TestTopologies.ThreeHosts))
        {
            var node = await clean.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
            Assert.True((await node.Client.StartMigrationAsync(MigrationId.Parse("m-clean"), WorkloadId.Parse("vm-2"), HostId.Parse("host-b"))).IsOk);
            await clean.WaitForCompletedAsync(MigrationId.Parse("m-clean"), TimeSpan.FromSeconds(30));
            var report = clean.CheckHistory();
            Assert.True(report.IsSuccess, report.ToText());
        }
    }
}
