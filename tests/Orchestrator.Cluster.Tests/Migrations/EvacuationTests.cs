using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Tests.Support;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Cluster.Tests.Migrations;

public class EvacuationTests
{
    [Fact]
    public async Task Evacuating_a_host_cordons_it_and_moves_every_workload_off_it()
    {
        await using var cluster = TestCluster.Create(Topologies.ThreeHosts);
        var node = await cluster.StartNodeAsync("node-1", ["host-a", "host-b", "host-c"]);
        await node.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        var hostA = HostId.Parse("host-a");

        // Dry run: both workloads have a target (host-b; host-c's firmware differs), nothing is reserved or cordoned.
        var plan = (await node.Client.PlanEvacuationAsync(hostA)).Value!;
        Assert.Equal(["vm-1", "vm-2"], plan.Select(p => p.Workload.ToString()));
        Assert.All(plan, p => Assert.True(p.Target == HostId.Parse("host-b"), p.Reason));
        Assert.False((await node.Client.GetInventoryAsync()).Inventory.FindHost(hostA)!.Cordoned);

        var started = await node.Client.StartEvacuationAsync("e-drain-a", hostA);
        Assert.True(started.IsOk, started.Error?.Message);
        Assert.Equal(2, started.Value!.Workloads.Count);

        EvacuationView? view = null;
        await MultiNodeMigrationTests.AwaitAssert(
            async () =>
            {
                view = (await node.Client.GetEvacuationAsync("e-drain-a")).Value!;
                Assert.Equal("Completed", view.State);
            },
            TimeSpan.FromSeconds(60));
        Assert.Equal(2, view!.Completed);
        Assert.Equal(0, view.RolledBack);
        Assert.Empty(cluster.Driver("host-a", "0000:3b:00.0").ListVfs());
        Assert.Equal(3, cluster.Driver("host-b", "0000:3b:00.0").ListVfs().Count);
        Assert.True((await node.Client.GetInventoryAsync()).Inventory.FindHost(hostA)!.Cordoned);

        // The same job id again answers the job; an unknown one is 404.
        Assert.Equal("Completed", (await node.Client.StartEvacuationAsync("e-drain-a", hostA)).Value!.State);
        Assert.Equal(Orchestrator.Cluster.Hosting.ClientErrorKind.NotFound, (await node.Client.GetEvacuationAsync("e-nope")).Error!.Kind);
        Assert.True(cluster.CheckHistory().IsSuccess, cluster.CheckHistory().ToText());
    }

    [Fact]
    public async Task An_evacuation_waits_for_a_manual_migration_of_a_workload_and_counts_it_as_moved()
    {
        await using var cluster = TestCluster.Create(Topologies.ThreeHosts);
        var node = await cluster.StartNodeAsync("node-1", ["host-a", "host-b", "host-c"], TestCluster.DefaultOptions with { StepTimeout = TimeSpan.FromMinutes(2) });
        await node.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        var hostA = HostId.Parse("host-a");
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(Devices.Simulation.DeviceCommand.CreateVf, 1);
        var manual = MigrationId.Parse("m-manual-vm-1");
        Assert.True((await node.Client.StartMigrationAsync(manual, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        // The evacuation's own migration of vm-1 is refused (one migration per workload): it waits, it does not give up.
        var started = await node.Client.StartEvacuationAsync("e-overlap", hostA);
        Assert.True(started.IsOk, started.Error?.Message);
        await MultiNodeMigrationTests.AwaitAssert(async () =>
        {
            var waiting = (await node.Client.GetEvacuationAsync("e-overlap")).Value!;
            Assert.Equal("WaitingForWorkload", waiting.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-1")).State);
        });

        hang.Release();
        Assert.Equal("Completed", (await cluster.WaitForEndAsync(manual, TimeSpan.FromSeconds(30))).State);
        EvacuationView? view = null;
        await MultiNodeMigrationTests.AwaitAssert(
            async () =>
            {
                view = (await node.Client.GetEvacuationAsync("e-overlap")).Value!;
                Assert.Equal("Completed", view.State);
            },
            TimeSpan.FromSeconds(60));
        Assert.Equal("Moved", view!.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-1")).State);
        Assert.Equal("Completed", view.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-2")).State);
        Assert.Empty(cluster.Driver("host-a", "0000:3b:00.0").ListVfs());
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }
}
