using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>
/// Writes <see cref="JournalFixture"/> when ORCHESTRATOR_WRITE_FIXTURE=1; otherwise a no-op that says so. The
/// scenario makes every event kind: a multi-VF migration, a rollback, a retry after Committed, a recovery after a
/// node restart, a cordon, an evacuation, a leftover the host reconciler cleans, a migration that fails after commit.
/// Events added later are appended to the
/// committed fixture with ORCHESTRATOR_APPEND_FIXTURE=1 (<see cref="Append_new_event_kinds_to_the_journal_fixture_when_asked"/>).
/// </summary>
public class JournalFixtureWriter
{
    private static void Ok<T>(Orchestrator.Cluster.Hosting.Result<T> result) => Assert.True(result.IsOk, result.Error?.Message);

    [Fact]
    public async Task Write_the_journal_fixture_when_asked()
    {
        if (!JournalFixture.Writing)
        {
            return; // Regenerating the fixture is a deliberate act; see JournalFixture.
        }

        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeAsync("node-1", ["host-a", "host-b", "host-c"]);
        var client = node.Client;
        await client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        var source = cluster.Driver("host-a", "0000:3b:00.0");
        var target = cluster.Driver("host-b", "0000:3b:00.0");

        // 1. Multi-VF migration that completes (quiesce, pre-copy, commit...).
        Ok(await client.StartMigrationAsync(MigrationId.Parse("m-fixture-multi"), WorkloadId.Parse("vm-2"), HostId.Parse("host-b")));
        await cluster.WaitForCompletedAsync(MigrationId.Parse("m-fixture-multi"), TimeSpan.FromSeconds(30));

        // 2. A load failure: rollback.
        target.Faults.FailCommand(DeviceCommand.Load, 1, VfioErrno.EIO);
        Ok(await client.StartMigrationAsync(MigrationId.Parse("m-fixture-rollback"), WorkloadId.Parse("vm-1"), HostId.Parse("host-b")));
        Assert.Equal(MigrationPhase.RolledBack, (await cluster.WaitForEndAsync(MigrationId.Parse("m-fixture-rollback"), TimeSpan.FromSeconds(30))).State);

        // 3. A failure after Committed is retried forward; then the node restarts mid-way and the migration recovers.
        source.Faults.FailCommand(DeviceCommand.DestroyVf, 1, VfioErrno.EIO);
        var hang = target.Faults.HangCommand(DeviceCommand.Resume, 1);
        Ok(await client.StartMigrationAsync(MigrationId.Parse("m-fixture-recover"), WorkloadId.Parse("vm-1"), HostId.Parse("host-b")));
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await node.StopAsync();
        hang.Release();
        var restarted = await cluster.StartNodeAsync("node-1b", ["host-a", "host-b", "host-c"]);
        await cluster.WaitForCompletedAsync(MigrationId.Parse("m-fixture-recover"), TimeSpan.FromSeconds(60));

        // 4. A cordon, and an evacuation of host-b (everything moves back to host-a).
        Ok(await restarted.Client.CordonAsync(HostId.Parse("host-c"), true, "fixture"));
        Ok(await restarted.Client.StartEvacuationAsync("e-fixture", HostId.Parse("host-b")));
        await Eventually.AssertAsync(
            async () => Assert.Equal("Completed", (await restarted.Client.GetEvacuationAsync("e-fixture")).Value!.State),
            TimeSpan.FromSeconds(60));

        // 5. A leftover the host reconciler cleans.
        await LeaveAndReconcileAsync(cluster, restarted);

        // 6. A migration that fails after commit.
        await FailAfterCommitAsync(cluster, restarted);
        await restarted.StopAsync();

        SaveFixture(cluster);
        Assert.Equal(3, source.ListVfs().Count);
    }

    [Fact]
    public async Task Append_new_event_kinds_to_the_journal_fixture_when_asked()
    {
        if (!JournalFixture.Appending)
        {
            return; // Extending the fixture is a deliberate act; see JournalFixture.
        }

        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        File.Copy(JournalFixture.SourcePath, cluster.JournalPath, overwrite: true);
        var before = JournalFixture.ReadEvents(cluster.JournalPath);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        // Added after journal-v1 was first written: LeftoverCleaned.v1 (appended by LeaveAndReconcileAsync, already in
        // the committed fixture), then MigrationFailed.v1 (appended by FailAfterCommitAsync), then WorkloadClaimed.v1
        // (appended by ClaimAndMigrateAsync), then EvacuationCancelled.v1 (appended by CancelEvacuationAsync), then
        // PolicyChanged.v1 (appended by ChangePolicyAsync), then MigrationWithdrawn.v1 (appended by WithdrawAsync), then
        // EvacuationPlanExtended.v1 (appended by ExtendEvacuationAsync).
        // Each run appends only the newest kind: a scenario that is already in the fixture would meet its own ids.
        await ExtendEvacuationAsync(cluster, node);
        await node.StopAsync();

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var after = JournalFixture.ReadEvents(cluster.JournalPath);
        Assert.True(after.Count > before.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].PersistenceId, after[i].PersistenceId);
            Assert.Equal(before[i].SequenceNr, after[i].SequenceNr);
            Assert.Equal(before[i].Manifest, after[i].Manifest);
            Assert.Equal(before[i].Payload, after[i].Payload);
        }

        SaveFixture(cluster);
    }

    /// <summary>A migration claims its workload in the placement authority's journal before its request is written.</summary>
    private static async Task ClaimAndMigrateAsync(TestCluster cluster, TestNode node)
    {
        var id = MigrationId.Parse("m-fixture-claimed");
        Ok(await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-2"), HostId.Parse("host-b")));
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
    }

    /// <summary>A migration that waits for a downtime limit it cannot meet completes once the limit is raised.</summary>
    private static async Task ChangePolicyAsync(TestCluster cluster, TestNode node)
    {
        var id = MigrationId.Parse("m-fixture-policy");
        var unreachable = MigrationPolicy.Default with { DowntimeLimit = TimeSpan.FromTicks(10), MaxPreCopyRounds = 10_000, NonConvergenceAction = NonConvergenceAction.KeepWaiting };
        Ok(await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"), unreachable));
        await Eventually.AssertAsync(
            async () => Assert.True((await node.Client.GetMigrationAsync(id)).Value?.Rounds.Count >= 2),
            TimeSpan.FromSeconds(30));
        Ok(await node.Client.ChangePolicyAsync(id, TimeSpan.FromSeconds(5), null, clearBandwidthCap: false));
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// An evacuation of host-b planned while vm-late is on its way there (its target VF not created yet): vm-late lands
    /// after the plan, and the job moves it off too.
    /// </summary>
    private static async Task ExtendEvacuationAsync(TestCluster cluster, TestNode node)
    {
        Ok(await node.Client.CordonAsync(HostId.Parse("host-a"), false, "fixture"));
        Ok(await node.Client.CordonAsync(HostId.Parse("host-b"), false, "fixture"));
        var late = WorkloadId.Parse("vm-late");
        Ok(await node.Client.CreateVfAsync(PfId.Parse("host-a/0000:3b:00.0"), VfKind.Vfio, TestProfiles.EthSmall, late));
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.CreateVf, 1);
        Ok(await node.Client.StartMigrationAsync(MigrationId.Parse("m-fixture-late"), late, HostId.Parse("host-b")));
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        Ok(await node.Client.StartEvacuationAsync("e-fixture-extended", HostId.Parse("host-b")));
        hang.Release();
        await Eventually.AssertAsync(
            async () =>
            {
                var view = (await node.Client.GetEvacuationAsync("e-fixture-extended")).Value!;
                Assert.Equal("Completed", view.State);
                Assert.Contains(view.Workloads, w => w.Workload == late && w.State == "Completed");
            },
            TimeSpan.FromSeconds(90));
    }

    /// <summary>A migration id withdrawn before it was requested: a start that arrives later is refused.</summary>
    private static async Task WithdrawAsync(TestNode node)
    {
        var id = MigrationId.Parse("m-fixture-withdrawn");
        Assert.Equal(MigrationPhase.RolledBack, (await node.Client.WithdrawAsync(id, WorkloadId.Parse("vm-1"), "fixture")).Value!.State);
        Assert.Equal(RejectedCodes.Withdrawn, (await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).Error?.Code);
    }

    /// <summary>An evacuation of host-a (the devices start as the topology says) cancelled while its first load on host-b hangs.</summary>
    private static async Task CancelEvacuationAsync(TestNode node, SimulatedPfDriver target)
    {
        const string id = "e-fixture-cancelled";
        var hang = target.Faults.HangCommand(DeviceCommand.Load, 1);
        Ok(await node.Client.StartEvacuationAsync(id, HostId.Parse("host-a")));
        try
        {
            await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            var view = (await node.Client.GetEvacuationAsync(id)).Value;
            Assert.Fail($"no target load began: {view}; {string.Join("; ", view?.Workloads.Select(w => $"{w.Workload} {w.Migration} {w.State} {w.Reason}") ?? [])}");
        }

        Ok(await node.Client.CancelEvacuationAsync(id, "fixture"));
        hang.Release();
        await Eventually.AssertAsync(
            async () => Assert.Equal("Cancelled", (await node.Client.GetEvacuationAsync(id)).Value!.State),
            TimeSpan.FromSeconds(60));
    }

    /// <summary>After Committed the target can only start through a reset: the migration ends Failed (TargetStateLost).</summary>
    private static async Task FailAfterCommitAsync(TestCluster cluster, TestNode node)
    {
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        var id = MigrationId.Parse("m-fixture-failed");
        target.Faults.FailCommand(DeviceCommand.Resume, 1, VfioErrno.EIO);
        Ok(await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b")));
        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.Failed, end.State);
        Assert.Equal("TargetStateLost", end.Code);
    }

    /// <summary>A rollback, then the device shows its target VF RESUMING again: the reconciler destroys it.</summary>
    private static async Task LeaveAndReconcileAsync(TestCluster cluster, TestNode node)
    {
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        var id = MigrationId.Parse("m-fixture-leftover");
        Ok(await node.Client.CordonAsync(HostId.Parse("host-b"), false)); // the evacuation cordoned it
        target.Faults.FailCommand(DeviceCommand.CreateVf, 1, VfioErrno.EIO);
        Ok(await node.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b")));
        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        Assert.True(end.Vfs.Count == 1, $"no target was placed: {end.Reason}");
        var leftover = end.Vfs[0].Target;
        await target.CreateVfAsync(VfKind.Vfio, TestProfiles.EthSmall, leftover.Index);
        await VfioDevice.SetStateAsync(target, leftover.Index, VfioDeviceState.Resuming);
        var report = await node.Client.ReconcileAsync(HostId.Parse("host-b"), run: true);
        Assert.Contains(report.Value!.Cleaned, c => c.Vf == leftover && c.Migration == id);
    }

    private static void SaveFixture(TestCluster cluster)
    {
        // Fold the WAL into the file and leave it in rollback mode: the fixture must be one self-contained file.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={cluster.JournalPath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;";
            command.ExecuteNonQuery();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Copy(cluster.JournalPath, JournalFixture.SourcePath, overwrite: true);
    }
}
