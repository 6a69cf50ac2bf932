using Orchestrator.Chaos.BrokenBuilds;
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
/// Kill the node that runs a migration's coordinator at the moments that matter. Devices live on two other nodes
/// (the hardware outlives the orchestrator process); two coordinator nodes let sharding move the coordinator.
/// </summary>
public class CrashRecoveryTests
{
    public enum Stage
    {
        PreCopy,
        StopCopy,
        AfterCommitted,
    }

    [Theory]
    [InlineData(Stage.PreCopy, "RolledBack")]
    [InlineData(Stage.StopCopy, "RolledBack")]
    [InlineData(Stage.AfterCommitted, "Completed")]
    public Task Sqlite(Stage stage, string expected) => RunAsync(PersistenceProvider.Sqlite, null, stage, expected);

    internal static async Task RunAsync(PersistenceProvider provider, string? connectionString, Stage stage, string expected)
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts, provider, connectionString);
        var observer = new RecordingObserver();
        var options = TestCluster.DefaultOptions with { Observer = observer, StepTimeout = TimeSpan.FromSeconds(60) };
        await cluster.StartNodeAsync("devices-1", ["host-a"], options, [ClusterRoles.Hosts]);
        await cluster.StartNodeAsync("devices-2", ["host-b", "host-c"], options, [ClusterRoles.Hosts]);
        await cluster.StartNodeAsync("coord-1", [], options, [ClusterRoles.Coordinator]);
        await cluster.StartNodeAsync("coord-2", [], options, [ClusterRoles.Coordinator]);
        var client = cluster["devices-1"].Client;
        await client.WaitForHostsAsync(3, TimeSpan.FromSeconds(15));

        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        var policy = MigrationPolicy.Default;
        HungCommand? hang = null;
        switch (stage)
        {
            case Stage.PreCopy:
                // A limit the device cannot meet keeps it pre-copying until the crash.
                policy = policy with { DowntimeLimit = TimeSpan.FromTicks(1), NonConvergenceAction = NonConvergenceAction.KeepWaiting, MaxPreCopyRounds = 100_000 };
                source.SetDirtyRate(0, 1L << 30);
                break;
            case Stage.StopCopy:
                hang = source.Faults.HangCommand(DeviceCommand.Save, 2); // 1: ->PRE_COPY, 2: ->STOP_COPY
                break;
            case Stage.AfterCommitted:
                hang = target.Faults.HangCommand(DeviceCommand.Resume, 1); // target STOP -> RUNNING_P2P
                break;
        }

        var id = MigrationId.Parse($"m-crash-{stage.ToString().ToLowerInvariant()}");
        Assert.True((await client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"), policy)).IsOk);

        var before = await WaitForAsync(client, id, v => stage switch
        {
            Stage.PreCopy => v.State == MigrationPhase.PreCopying && v.Progress.Rounds >= 2,
            Stage.StopCopy => v.State == MigrationPhase.SwitchoverStarted && hang!.Reached.IsCompleted,
            _ => v.State == MigrationPhase.Committed && hang!.Reached.IsCompleted,
        });

        var victim = cluster.Nodes.Single(n => n.Address.ToString() == before.Coordinator);
        Assert.StartsWith("coord-", victim.Name, StringComparison.Ordinal);
        await victim.CrashAsync();

        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(90));
        Assert.Equal(expected, end.State.ToString());
        Assert.True(end.Epoch > before.Epoch, $"recovery must advance the epoch: {before.Epoch} -> {end.Epoch}");
        Assert.NotEqual(before.Coordinator, end.Coordinator);

        // The workload runs on exactly one host, and nothing is left behind.
        var onSource = source.ListVfs().Where(v => v.Index == 0).ToList();
        var onTarget = target.ListVfs();
        if (expected == "Completed")
        {
            Assert.Empty(onSource);
            Assert.Equal(VfioDeviceState.Running, Assert.Single(onTarget).State);
        }
        else
        {
            Assert.Equal(VfioDeviceState.Running, Assert.Single(onSource).State);
            Assert.Empty(onTarget);
        }

        Assert.Equal(0, source.ActiveMigrations);
        Assert.Equal(0, target.ActiveMigrations);
        await Eventually.AssertAsync(() =>
        {
            Assert.Equal(0, observer.SlotsHeld);
            return Task.CompletedTask;
        });

        // The nodes' own histories, merged, prove the same with the invariant checker.
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
        Assert.Equal(1, report.Migrations[expected]);
    }

    [Fact]
    public async Task A_build_that_loses_the_committed_checkpoint_is_caught_by_the_checker()
    {
        // The broken build's journal loses Committed on replay. Crash while the target already runs (RUNNING_P2P):
        // the new incarnation believes it is before Committed and rolls back, so the source runs again too.
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var options = TestCluster.DefaultOptions with { StepTimeout = TimeSpan.FromSeconds(60) };
        DropCommitCheckpoint.Arm();
        var broken = DropCommitCheckpoint.Hocon(OrchestratorConfig.JournalPluginId);
        await cluster.StartNodeAsync("devices-1", ["host-a", "host-b", "host-c"], options, [ClusterRoles.Hosts], broken);
        await cluster.StartNodeAsync("coord-1", [], options, [ClusterRoles.Coordinator], broken);
        await cluster.StartNodeAsync("coord-2", [], options, [ClusterRoles.Coordinator], broken);
        var client = cluster["devices-1"].Client;
        await client.WaitForHostsAsync(3, TimeSpan.FromSeconds(15));
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        var hang = target.Faults.HangCommand(DeviceCommand.Resume, 2); // target RUNNING_P2P -> RUNNING

        var id = MigrationId.Parse("m-broken-build");
        Assert.True((await client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        var before = await WaitForAsync(client, id, v => hang.Reached.IsCompleted);
        await cluster.Nodes.Single(n => n.Address.ToString() == before.Coordinator).CrashAsync();
        await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(90));

        var report = cluster.CheckHistory();
        Assert.False(report.IsSuccess);
        Assert.False(report.Invariants[0].Passed, report.ToText()); // the workload ran on two hosts at once
        Assert.Contains("vm-1", report.Invariants[0].FirstViolation!.Description, StringComparison.Ordinal);
    }

    private static async Task<MigrationView> WaitForAsync(OrchestratorClient client, MigrationId id, Func<MigrationView, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        MigrationView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await client.GetMigrationAsync(id)).Value;
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{id} never reached the stage; last {last?.State} rounds {last?.Progress.Rounds} error {last?.LastError} reason {last?.Reason}");
    }
}
