using Akka.Actor;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// What can go neither forward nor back ends Failed with a code, within a bound, and gives back its reservations:
/// never RollingBack forever, never Completed with a target whose device state was reset.
/// </summary>
public class FailedMigrationTests
{
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly HostId HostA = HostId.Parse("host-a");
    private static readonly HostId HostB = HostId.Parse("host-b");

    [Fact]
    public async Task A_source_vf_destroyed_during_rollback_ends_Failed_SourceLost_not_rolling_back_forever()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");

        // The target's load hangs, then fails: the migration rolls back. While it hangs, the source VF vanishes behind
        // the orchestrator's back, so the rollback's ResumeSource meets ENOENT.
        var hang = target.Faults.HangCommand(DeviceCommand.Load, 1);
        target.Faults.FailCommand(DeviceCommand.Load, 1, VfioErrno.EIO);
        var id = MigrationId.Parse("m-source-lost");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await source.DestroyVfAsync(0);
        hang.Release();

        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.Failed, end.State);
        Assert.Equal("SourceLost", end.Code);
        Assert.True(end.IsTerminal);
        Assert.Contains("does not exist", end.Reason, StringComparison.Ordinal);
        Assert.Contains(end.Timeline, t => t.State == MigrationPhase.RollingBack);
        Assert.DoesNotContain(end.Timeline, t => t.State == MigrationPhase.RolledBack);
        await AssertReleasedAsync(node, id);
    }

    [Fact]
    public async Task A_target_reset_to_start_after_commit_ends_Failed_TargetStateLost_never_Completed()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");

        // Target start: STOP -> RUNNING_P2P is the first Resume command on the target PF. It fails and leaves the VF
        // in ERROR; the only way to RUNNING is a reset, which throws away the state the target loaded.
        target.Faults.FailCommand(DeviceCommand.Resume, 1, VfioErrno.EIO);
        var id = MigrationId.Parse("m-target-reset");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostB)).IsOk);

        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.Failed, end.State);
        Assert.Equal("TargetStateLost", end.Code);
        Assert.Contains("reset", end.Reason, StringComparison.Ordinal);
        Assert.Contains(end.Timeline, t => t.State == MigrationPhase.Committed);
        Assert.DoesNotContain(end.Timeline, t => t.State is MigrationPhase.TargetRunning or MigrationPhase.Completed);

        // Nothing was released on the source: its stopped VF may hold the workload's only device state.
        var sourceVf = Assert.Single(source.ListVfs(), v => v.Index == 0);
        Assert.NotEqual(VfioDeviceState.Running, sourceVf.State);
        await AssertReleasedAsync(node, id);

        // What is left (the source PF's migration slot) is the reconciler's; the VFs it leaves to an operator.
        Assert.True((await node.Client.ReconcileAsync(HostA, run: true)).IsOk);
        Assert.True((await node.Client.ReconcileAsync(HostB, run: true)).IsOk);
        Assert.Single(source.ListVfs(), v => v.Index == 0);
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    private static async Task AssertReleasedAsync(TestNode node, MigrationId id) =>
        await Eventually.AssertAsync(async () =>
        {
            var ledger = await node.Runtime!.Placement.Ask<PlacementProtocol.LedgerHoldings>(PlacementProtocol.GetLedger.Instance, TimeSpan.FromSeconds(20));
            Assert.DoesNotContain(ledger.Holdings, h => h.Migration == id);
        });
}
