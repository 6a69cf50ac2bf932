using Akka.Actor;
using Orchestrator.Cluster.History;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Serialization;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Cluster.Tests.Serialization;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using Orchestrator.Domain.Reconciliation;
using Orchestrator.Testing;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// The host reconciler on the real cluster: it cleans what ended migrations left (a target VF still RESUMING, a slot),
/// never touches a live migration, runs by itself at start-up, records every clean-up (journal, history), and the
/// invariant checker passes over the histories.
/// </summary>
public class ReconcilerTests
{
    /// <summary>host-a holds vm-1 and vm-2; host-b's PF runs one migration at a time, so a leaked slot blocks the next.</summary>
    private static readonly string Topology = TestTopologies.Build(new("host-a", Slots: 4, Workloads: [new("vm-1"), new("vm-2")]), new("host-b", Slots: 1));

    private const string Pf = "0000:3b:00.0";
    private static readonly HostId HostA = HostId.Parse("host-a");
    private static readonly HostId HostB = HostId.Parse("host-b");
    private static readonly PfId TargetPf = PfId.Parse("host-b/0000:3b:00.0");

    // Periodic runs are out of the way: each test says when the reconciler runs (API) or proves it runs by itself (start-up).
    private static readonly RuntimeOptions Options = TestCluster.DefaultOptions with { ReconcileInterval = TimeSpan.FromMinutes(10) };

    [Fact]
    public async Task A_target_vf_left_resuming_by_a_rolled_back_migration_is_destroyed_and_recorded()
    {
        using var measured = new MeasurementRecorder();
        await using var cluster = TestCluster.Create(Topology);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], Options);
        var target = cluster.Driver("host-b", Pf);
        var id = MigrationId.Parse("m-reconcile-rolled-back");
        var end = await RollBackAsync(cluster, node, id, target);
        var targetVf = end.Vfs[0].Target;

        // The leftover: the device shows the target VF RESUMING again, as a destroy the firmware acknowledged but never
        // did would leave it. No migration is running; the journal says RolledBack.
        await target.CreateVfAsync(VfKind.Vfio, TestProfiles.EthSmall, targetVf.Index);
        await VfioDevice.SetStateAsync(target, targetVf.Index, VfioDeviceState.Resuming);

        // The migration waited for admission, and the placement authority measured it (orchestrator_admission_wait_seconds).
        Assert.Contains(measured.Measurements, m => m.Instrument == ClusterMetrics.AdmissionWait && m.Tags[ClusterMetrics.MigrationTag] == id.ToString() && m.Value >= 0);
        int DestroyedTargets() => measured.Measurements.Count(m => m.Instrument == ClusterMetrics.ReconcilerCleaned && m.Tags[ClusterMetrics.ActionTag] == nameof(LeftoverAction.DestroyTarget));
        var destroyedBefore = DestroyedTargets();

        var report = Ok(await node.Client.ReconcileAsync(HostB, run: true));
        Assert.Equal("api", report.Trigger);
        Assert.Null(report.Skipped);
        var cleaned = Assert.Single(report.Cleaned);
        Assert.Equal(LeftoverAction.DestroyTarget, cleaned.Action);
        Assert.Equal(targetVf, cleaned.Vf);
        Assert.Equal(id, cleaned.Migration);
        Assert.Contains("RolledBack", cleaned.Reason, StringComparison.Ordinal);
        Assert.Empty(target.ListVfs());
        Assert.True(DestroyedTargets() > destroyedBefore, "the clean-up was not counted (orchestrator_reconciler_cleaned_total)");

        // Nothing else on host-a was touched, and a second run finds nothing.
        Assert.Empty(Ok(await node.Client.ReconcileAsync(HostA, run: true)).Cleaned);
        Assert.Empty(Ok(await node.Client.ReconcileAsync(HostB, run: true)).Cleaned);
        Assert.Single(cluster.Driver("host-a", Pf).ListVfs(), v => v.Index == 0 && v.State == VfioDeviceState.Running);

        // Recorded: a persisted event under its stable manifest, and a history line the checker accepts.
        await Eventually.AssertAsync(() =>
        {
            var stored = JournalFixture.ReadEvents(cluster.JournalPath)
                .Where(e => e.PersistenceId == HostReconciler.PersistenceIdOf(HostB) && e.Manifest == "LeftoverCleaned.v1")
                .Select(e => (ReconcilerEvents.LeftoverCleaned)EventSerializer.Decode(e.Manifest, e.Payload))
                .ToList();
            var e = Assert.Single(stored);
            Assert.Equal((targetVf, id, LeftoverAction.DestroyTarget, end.Epoch), (e.Vf, e.Migration, e.Action, e.Epoch));
            return Task.CompletedTask;
        });
        var line = Assert.Single(cluster.ReadHistory().OfType<LeftoverCleanedRecord>());
        Assert.Equal(("destroy-target", targetVf.ToString(), id.ToString()), (line.Action, line.Vf, line.Migration));

        // A late duplicate of its placement request reserves for the ended migration again: the ledger leftover is released.
        var placed = await node.Runtime.Placement.Ask<PlacementProtocol.PlacementAnswer>(
            new PlacementProtocol.PlaceMigration(id, new PlacementRequest(end.Workload, [end.Vfs[0].Source], HostB)), TimeSpan.FromSeconds(20));
        Assert.NotNull(placed.Result.Target);
        var released = Assert.Single(Ok(await node.Client.ReconcileAsync(HostA, run: true)).Cleaned);
        Assert.Equal((LeftoverAction.ReleaseReservation, id), (released.Action, released.Migration));
        var ledger = await node.Runtime.Placement.Ask<PlacementProtocol.LedgerHoldings>(PlacementProtocol.GetLedger.Instance, TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(ledger.Holdings, h => h.Migration == id);
        AssertHistoryPasses(cluster);
    }

    [Fact]
    public async Task The_journal_keeps_only_the_clean_ups_the_report_shows()
    {
        // Kept = 1: the second clean-up deletes the first from the journal, which keeps only the event of the second.
        await using var cluster = TestCluster.Create(Topology);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], Options with { ReconcilerRecentKept = 1 });
        var target = cluster.Driver("host-b", Pf);
        var id = MigrationId.Parse("m-reconcile-kept");
        var end = await RollBackAsync(cluster, node, id, target);
        var targetVf = end.Vfs[0].Target;
        for (var i = 0; i < 2; i++)
        {
            await target.CreateVfAsync(VfKind.Vfio, TestProfiles.EthSmall, targetVf.Index);
            await VfioDevice.SetStateAsync(target, targetVf.Index, VfioDeviceState.Resuming);

            // A run right after the last clean-up may still see the PF's earlier inventory: the next one cleans it.
            await Eventually.AssertAsync(async () => Assert.Single(Ok(await node.Client.ReconcileAsync(HostB, run: true)).Cleaned));
        }

        // The journal marks the newest deleted event and removes the ones below it: at most Kept + 1 rows, one live.
        await Eventually.AssertAsync(() =>
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={cluster.JournalPath};Mode=ReadOnly");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sequence_number, deleted FROM journal WHERE persistence_id = $id ORDER BY sequence_number";
            command.Parameters.AddWithValue("$id", HostReconciler.PersistenceIdOf(HostB));
            var rows = new List<(long Sequence, bool Deleted)>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), reader.GetBoolean(1)));
                }
            }

            Assert.Equal([2L], rows.Where(r => !r.Deleted).Select(r => r.Sequence));
            Assert.True(rows.Count <= 2, string.Join(", ", rows));
            return Task.CompletedTask;
        });
        // (Not "the last run's report": a run queued behind ours, the start-up run or a rerun asked for while ours was
        // running, may end after it and rightly find nothing left; a CI run saw exactly that.)
    }

    [Fact]
    public async Task Nothing_of_a_live_in_flight_migration_is_touched()
    {
        await using var cluster = TestCluster.Create(Topology);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], Options);
        var source = cluster.Driver("host-a", Pf);
        var hang = source.Faults.HangCommand(DeviceCommand.Save, 2); // 1: ->PRE_COPY, 2: ->STOP_COPY: stop-copy hangs
        var id = MigrationId.Parse("m-reconcile-live");
        Assert.True((await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var live = (await node.Client.GetMigrationAsync(id)).Value!;
        var (sourceVf, targetVf) = (live.Vfs[0].Source, live.Vfs[0].Target);

        foreach (var host in new[] { HostA, HostB })
        {
            var report = Ok(await node.Client.ReconcileAsync(host, run: true));
            Assert.Null(report.Skipped);
            Assert.Empty(report.Cleaned);
            Assert.Contains(report.Left, l => l.Migration == id && l.Reason.Contains("is live", StringComparison.Ordinal));
        }

        Assert.Equal(VfioDeviceState.Resuming, cluster.Driver("host-b", Pf).GetDeviceState(targetVf.Index));

        // Even a verdict made on a stale snapshot is refused by the PFs: the step running there, and the claim on the VF.
        var inventory = await node.Client.GetInventoryAsync();
        var ticket = new MigrationTicket(id, Epoch.Of(live.Epoch));
        var onSource = await inventory.PfRef(sourceVf.Pf)!.Ask<object>(
            new ReconcileLeftover(LeftoverAction.ResumeSource, ticket, sourceVf, null, "stale verdict"), TimeSpan.FromSeconds(10));
        Assert.Contains("is live on this PF", Assert.IsType<LeftoverRefused>(onSource).Reason, StringComparison.Ordinal);
        var onTarget = await inventory.PfRef(TargetPf)!.Ask<object>(
            new ReconcileLeftover(LeftoverAction.DestroyTarget, null, targetVf, VfioDeviceState.Resuming, "stale verdict"), TimeSpan.FromSeconds(10));
        Assert.Contains($"in use by migration {id}", Assert.IsType<LeftoverRefused>(onTarget).Reason, StringComparison.Ordinal);

        hang.Release();
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(60));
        Assert.Empty(Ok(await node.Client.ReconcileAsync(HostB, run: true)).Cleaned);
        Assert.Equal(VfioDeviceState.Running, cluster.Driver("host-b", Pf).GetDeviceState(targetVf.Index));
        Assert.Empty(cluster.ReadHistory().OfType<LeftoverCleanedRecord>());
        AssertHistoryPasses(cluster);
    }

    [Fact]
    public async Task A_slot_left_by_an_ended_migration_is_freed_and_the_queued_migration_proceeds()
    {
        await using var cluster = TestCluster.Create(Topology);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], Options);
        var target = cluster.Driver("host-b", Pf);
        var ghost = MigrationId.Parse("m-reconcile-ghost");
        var end = await RollBackAsync(cluster, node, ghost, target);
        var leftover = await LeaveTargetBehindAsync(node, end);

        // host-b's only migration slot is held by the ended migration: the next one waits in the PF's queue.
        var next = MigrationId.Parse("m-reconcile-next");
        Assert.True((await node.Client.StartMigrationAsync(next, WorkloadId.Parse("vm-2"), HostB)).IsOk);
        await Eventually.AssertAsync(async () =>
            Assert.Equal(1, (await node.Client.GetMigrationAsync(next)).Value!.QueuePosition), TimeSpan.FromSeconds(30));

        // The reconciler may already have started a run of its own (a migration of this host ended): this asks for one
        // now, and the clean-up is read from the history, whichever run did it (a run requested after it finds nothing).
        Ok(await node.Client.ReconcileAsync(HostB, run: true));
        await Eventually.AssertAsync(() => Task.Run(() =>
        {
            var cleaned = cluster.ReadHistory().OfType<LeftoverCleanedRecord>().ToList();
            Assert.Contains(cleaned, c => c.Action == Orchestrator.Cluster.History.HistoryDeviceObserver.ActionName(LeftoverAction.DestroyTarget) && c.Vf == leftover.ToString() && c.Migration == ghost.ToString());
            Assert.Contains(cleaned, c => c.Action == Orchestrator.Cluster.History.HistoryDeviceObserver.ActionName(LeftoverAction.FreeSlot) && c.Pf == TargetPf.ToString() && c.Migration == ghost.ToString());
            Assert.DoesNotContain(cleaned, c => c.Migration == next.ToString());
        }));

        await cluster.WaitForCompletedAsync(next, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(target.ListVfs(), v => v.Index == leftover.Index);

        // A late duplicate of the ended migration's command is fenced now, rather than leaving the same leftover again.
        var inventory = await node.Client.GetInventoryAsync();
        var again = await inventory.PfRef(TargetPf)!.Ask<object>(Prepare(end), TimeSpan.FromSeconds(10));
        Assert.IsType<StepFencedReply>(again);
        AssertHistoryPasses(cluster);
    }

    [Fact]
    public async Task After_a_node_restart_the_start_up_run_cleans_what_the_killed_node_left()
    {
        await using var cluster = TestCluster.Create(Topology);
        var hostsRole = new[] { ClusterRoles.Hosts };
        await cluster.StartNodeAsync("coord-1", [], Options, [ClusterRoles.Coordinator]);
        await cluster.StartNodeAsync("devices-1", ["host-a"], Options, hostsRole);
        var killed = await cluster.StartNodeAsync("devices-2", ["host-b"], Options, hostsRole);
        var client = cluster["devices-1"].Client;
        await client.WaitForHostsAsync(2, TimeSpan.FromSeconds(15));

        // The leftover must be found by the restarted node: the killed node's own start-up run (2 s after its host came
        // up) is over, and found the PF clean, before the leftover exists. Faster cluster starts put the leftover first.
        await Eventually.AssertAsync(async () =>
        {
            var startUp = Ok(await killed.Client.ReconcileAsync(HostB, run: false));
            Assert.NotEqual("none", startUp.Trigger);
            Assert.Null(startUp.Skipped);
        }, TimeSpan.FromSeconds(30));
        var target = cluster.Driver("host-b", Pf);
        var id = MigrationId.Parse("m-reconcile-restart");
        var end = await RollBackAsync(cluster, cluster["devices-1"], id, target);
        var leftover = await LeaveTargetBehindAsync(cluster["devices-1"], end);

        // The host remembered the leftover's workload label in its journal before its node is killed.
        await Eventually.AssertAsync(async () =>
            Assert.Equal(WorkloadId.Parse("vm-1"), (await client.GetInventoryAsync()).Inventory.FindVf(leftover)?.Workload), TimeSpan.FromSeconds(10));
        await killed.CrashAsync();
        Assert.Equal(VfioDeviceState.Resuming, target.GetDeviceState(leftover.Index)); // the hardware outlives the process

        var restarted = await cluster.StartNodeAsync("devices-2b", ["host-b"], Options, hostsRole);

        // Nobody asks: a run of the restarted node's own (start-up, or the member-removed one that may follow it) finds
        // the VF and cleans it; the restarted node records it once the run is over.
        await Eventually.AssertAsync(() =>
        {
            Assert.Empty(target.ListVfs());
            var line = Assert.Single(cluster.ReadHistory().OfType<LeftoverCleanedRecord>());
            Assert.Equal(("devices-2b", "destroy-target", leftover.ToString(), id.ToString()), (line.Node, line.Action, line.Vf, line.Migration));
            Assert.Contains("RolledBack", line.Reason, StringComparison.Ordinal);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(30));
        var report = Ok(await restarted.Client.ReconcileAsync(HostB, run: false));
        Assert.NotEqual("api", report.Trigger);
        AssertHistoryPasses(cluster);
    }

    /// <summary>A migration of vm-1 to host-b whose target VF cannot be created: it rolls back before any state moves.</summary>
    private static async Task<MigrationView> RollBackAsync(TestCluster cluster, TestNode node, MigrationId id, SimulatedPfDriver target)
    {
        target.Faults.FailCommand(DeviceCommand.CreateVf, 1, VfioErrno.EIO);
        Assert.True((await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostB, MigrationPolicy.Default)).IsOk);
        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.Empty(target.ListVfs());
        return end;
    }

    /// <summary>
    /// The ended migration's prepare-target arrives once more (a late duplicate: its first attempt failed, so no answer
    /// was cached). The PF runs it: a target VF in RESUMING, labelled for the workload, holding the PF's only slot.
    /// </summary>
    private static async Task<VfId> LeaveTargetBehindAsync(TestNode node, MigrationView end)
    {
        var inventory = await node.Client.GetInventoryAsync();
        var reply = await inventory.PfRef(TargetPf)!.Ask<object>(Prepare(end), TimeSpan.FromSeconds(20));
        Assert.IsType<PrepareTargetReply>(reply);
        return end.Vfs[0].Target;
    }

    private static PrepareTargetCommand Prepare(MigrationView end) => new(
        new MigrationTicket(end.Id, Epoch.Of(end.Epoch)),
        [new TargetVfSpec(end.Vfs[0].Source, end.Vfs[0].Target, VfKind.Vfio, TestProfiles.EthSmall, end.Workload)]);

    private static ReconcilerProtocol.ReconcileReport Ok(Result<ReconcilerProtocol.ReconcileReport> result)
    {
        Assert.True(result.IsOk, result.Error?.Message);
        return result.Value!;
    }

    private static void AssertHistoryPasses(TestCluster cluster)
    {
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }
}
