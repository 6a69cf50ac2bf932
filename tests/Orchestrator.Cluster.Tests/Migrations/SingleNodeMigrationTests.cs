using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

public class SingleNodeMigrationTests
{
    [Fact]
    public async Task Single_vf_migration_completes_and_the_workload_runs_on_the_target_only()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        var id = MigrationId.Parse("m-single-1");
        var started = await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"));
        Assert.True(started.IsOk, started.Error?.Message);

        var end = await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(HostId.Parse("host-b"), end.Target);

        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        Assert.DoesNotContain(source.ListVfs(), v => v.Index == 0);
        var moved = Assert.Single(target.ListVfs());
        Assert.Equal(VfioDeviceState.Running, moved.State);
        Assert.Equal(TestProfiles.EthSmall, moved.Profile);
        Assert.Equal(0, source.ActiveMigrations);
        Assert.Equal(0, target.ActiveMigrations);
    }
}
