using Akka.Actor;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Every way a migration rolls back before Committed: the workload ends running on the source only, the target VF is
/// gone, and no slot is left behind.
/// </summary>
public class RollbackTests
{
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");

    [Fact]
    public async Task Incompatible_target_is_rejected_with_the_reason_and_nothing_moves()
    {
        await using var fx = await Fixture.StartAsync();
        var id = MigrationId.Parse("m-incompatible");
        Assert.True((await fx.Client.StartMigrationAsync(id, Vm1, HostId.Parse("host-c"))).IsOk);

        var end = await fx.Cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.Contains("firmware", end.Reason, StringComparison.OrdinalIgnoreCase);
        fx.AssertWorkloadOnSourceOnly();
    }

    [Fact]
    public async Task Target_load_failure_rolls_back()
    {
        await using var fx = await Fixture.StartAsync();
        fx.Target.Faults.FailCommand(DeviceCommand.Load, 1, VfioErrno.EIO);
        var end = await fx.MigrateAsync("m-load-fails");
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.Contains("EIO", end.Reason, StringComparison.Ordinal);
        fx.AssertWorkloadOnSourceOnly();
    }

    [Fact]
    public async Task Corrupt_state_stream_is_refused_by_the_target_and_rolls_back()
    {
        await using var fx = await Fixture.StartAsync();
        fx.Target.Faults.CorruptWrite(2);
        var end = await fx.MigrateAsync("m-corrupt");
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        fx.AssertWorkloadOnSourceOnly();
    }

    [Fact]
    public async Task Source_save_failure_rolls_back_and_the_source_is_reset_to_running()
    {
        await using var fx = await Fixture.StartAsync();
        fx.Source.Faults.FailCommand(DeviceCommand.Save, 1, VfioErrno.EIO);
        var end = await fx.MigrateAsync("m-save-fails");
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        fx.AssertWorkloadOnSourceOnly();
    }

    [Fact]
    public async Task A_hung_stop_copy_times_out_and_rolls_back()
    {
        await using var fx = await Fixture.StartAsync(new RuntimeOptions { StepTimeout = TimeSpan.FromSeconds(2) });
        var hang = fx.Source.Faults.HangCommand(DeviceCommand.Save, 2); // 1: RUNNING->PRE_COPY, 2: ->STOP_COPY
        var end = await fx.MigrateAsync("m-hung");
        Assert.True(hang.Reached.IsCompleted);
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.Contains("no answer", end.Reason, StringComparison.Ordinal);
        fx.AssertWorkloadOnSourceOnly();
    }

    [Fact]
    public async Task Abort_during_pre_copy_rolls_back_and_a_second_abort_answers_the_rolled_back_migration()
    {
        await using var fx = await Fixture.StartAsync();
        var id = MigrationId.Parse("m-abort");
        // A downtime limit the device can never meet keeps the migration pre-copying until the user acts.
        var policy = MigrationPolicy.Default with
        {
            DowntimeLimit = TimeSpan.FromTicks(1),
            NonConvergenceAction = NonConvergenceAction.KeepWaiting,
            MaxPreCopyRounds = 100_000,
        };
        fx.Source.SetDirtyRate(0, 1L << 30);
        Assert.True((await fx.Client.StartMigrationAsync(id, Vm1, HostId.Parse("host-b"), policy)).IsOk);
        await Eventually.AssertAsync(async () =>
        {
            var view = (await fx.Client.GetMigrationAsync(id)).Value!;
            Assert.Equal(MigrationPhase.PreCopying, view.State);
            Assert.True(view.Progress.Rounds >= 2);
        });

        var aborted = await fx.Client.AbortAsync(id, "operator changed their mind");
        Assert.True(aborted.IsOk, aborted.Error?.Message);
        var end = await fx.Cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.Contains("operator changed their mind", end.Reason, StringComparison.Ordinal);
        fx.AssertWorkloadOnSourceOnly();

        // Asked again (a retry whose answer was lost): what it asks for holds, so it answers the migration as it is,
        // with the first reason; nothing runs again.
        var again = await fx.Client.AbortAsync(id, "again");
        Assert.True(again.IsOk, again.Error?.Message);
        Assert.Equal((MigrationPhase.RolledBack, "Aborted"), (again.Value!.State, again.Value.Code));
        Assert.Contains("operator changed their mind", again.Value.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Abort_after_committed_is_refused_and_the_migration_completes()
    {
        await using var fx = await Fixture.StartAsync();
        // Target start: STOP -> RUNNING_P2P is the first Resume command on the target PF.
        var hang = fx.Target.Faults.HangCommand(DeviceCommand.Resume, 1);
        var id = MigrationId.Parse("m-abort-late");
        Assert.True((await fx.Client.StartMigrationAsync(id, Vm1, HostId.Parse("host-b"))).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.Committed, (await fx.Client.GetMigrationAsync(id)).Value!.State);

        Result<MigrationView> abort;
        try
        {
            abort = await fx.Client.AbortAsync(id, "too late");
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException("abort unanswered: " + await fx.Cluster.DiagnoseAsync(id), e);
        }

        Assert.False(abort.IsOk);
        Assert.Equal(ClientErrorKind.Conflict, abort.Error!.Kind);

        hang.Release();
        var end = await fx.Cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(fx.Source.ListVfs(), v => v.Index == 0);
        Assert.Equal(VfioDeviceState.Running, Assert.Single(fx.Target.ListVfs()).State);
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TestCluster cluster, TestNode node)
        {
            Cluster = cluster;
            Node = node;
        }

        public TestCluster Cluster { get; }

        public TestNode Node { get; }

        public OrchestratorClient Client => Node.Client;

        public SimulatedPfDriver Source => Cluster.Driver("host-a", "0000:3b:00.0");

        public SimulatedPfDriver Target => Cluster.Driver("host-b", "0000:3b:00.0");

        public static async Task<Fixture> StartAsync(RuntimeOptions? options = null)
        {
            var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
            var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], options ?? TestCluster.DefaultOptions with { });
            return new Fixture(cluster, node);
        }

        public Task<Orchestrator.Cluster.Migrations.MigrationView> MigrateAsync(string id) => Cluster.MigrateAsync(Node, id, "vm-1", "host-b");

        public void AssertWorkloadOnSourceOnly()
        {
            var vf = Assert.Single(Source.ListVfs(), v => v.Index == 0);
            Assert.Equal(VfioDeviceState.Running, vf.State);
            Assert.Empty(Target.ListVfs());
            Assert.Equal(0, Source.ActiveMigrations);
            Assert.Equal(0, Target.ActiveMigrations);
        }

        public ValueTask DisposeAsync() => Cluster.DisposeAsync();
    }
}
