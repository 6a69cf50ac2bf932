using Microsoft.Data.Sqlite;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Serialization;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>
/// <c>Fixtures/snapshots-v1.db</c>: an SQLite journal written with a snapshot every 2 events, so that it holds a
/// snapshot of every kind (placement ledger, host journal) and the events after them, the events before them deleted.
/// Snapshots follow the events' rules: stable manifests, the same bytes when read and written again, and a node
/// recovers from them. Regenerate only deliberately (ORCHESTRATOR_WRITE_SNAPSHOT_FIXTURE=1).
/// </summary>
public class SnapshotFixtureTests
{
    private const string FileName = "snapshots-v1.db";

    private static string SourcePath => Path.Combine(SourceDirectory(), "Fixtures", FileName);

    [Fact]
    public void Every_snapshot_manifest_this_version_knows_is_in_the_fixture()
    {
        Assert.Empty(EventSerializer.SnapshotManifests.Except(ReadSnapshots(SourcePath).Select(s => s.Manifest)));
    }

    [Fact]
    public void Every_stored_snapshot_reads_back_and_writes_the_same_bytes()
    {
        foreach (var s in ReadSnapshots(SourcePath))
        {
            Assert.Equal(EventSerializer.SerializerId, s.Serializer);
            var decoded = EventSerializer.Decode(s.Manifest, s.Payload);
            var (manifest, payload) = EventSerializer.Encode(decoded);
            Assert.Equal(s.Manifest, manifest);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(s.Payload), System.Text.Encoding.UTF8.GetString(payload));
        }
    }

    [Fact]
    public async Task A_node_recovers_the_ledger_and_the_hosts_from_snapshots_plus_the_events_after_them()
    {
        // The events a snapshot covers are gone: recovery can only come from the snapshot.
        var events = JournalFixture.ReadEvents(SourcePath);
        var snapshots = ReadSnapshots(SourcePath);
        foreach (var id in new[] { "placement-authority", "host-host-c" })
        {
            var latest = snapshots.Where(s => s.PersistenceId == id).Max(s => s.SequenceNr);
            Assert.DoesNotContain(events, e => e.PersistenceId == id && e.SequenceNr < latest);
        }

        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        File.Copy(SourcePath, cluster.JournalPath, overwrite: true);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        // Host journals: host-c is cordoned, and vm-1 left host-a (the devices here are the topology's again, so the
        // journal's "host-a vf0 serves nothing" is what keeps vm-1 off it).
        await Eventually.AssertAsync(async () =>
        {
            var inventory = (await node.Client.GetInventoryAsync()).Inventory;
            Assert.True(inventory.FindHost(HostId.Parse("host-c"))!.Cordoned);
            Assert.Empty(inventory.VfsOf(WorkloadId.Parse("vm-1")));
        });

        // The ledger: the migration in flight when the fixture was written recovers and ends (it had not touched a
        // device yet, so it goes on); the authority writes its release only because it held its claim and
        // reservations, which only the snapshot holds.
        var held = MigrationId.Parse("m-snapshot-held");
        var end = await cluster.WaitForEndAsync(held, TimeSpan.FromSeconds(60));
        Assert.True(end.State is MigrationPhase.Completed or MigrationPhase.RolledBack, end.State.ToString());
        var ledgerSnapshot = snapshots.Where(s => s.PersistenceId == "placement-authority").Max(s => s.SequenceNr);
        await Eventually.AssertAsync(
            () => Task.Run(() => Assert.Contains(
                JournalFixture.ReadEvents(cluster.JournalPath),
                e => e.PersistenceId == "placement-authority" && e.SequenceNr > ledgerSnapshot && e.Manifest == "PlacementReleased.v1"
                    && EventSerializer.Decode(e.Manifest, e.Payload) is PlacementEvents.Released { Migration: var m } && m == held)),
            TimeSpan.FromSeconds(10));

        // And the workload is free: it moves at once.
        var again = MigrationId.Parse("m-snapshot-again");
        var started = await node.Client.StartMigrationAsync(again, WorkloadId.Parse("vm-2"), HostId.Parse(end.State == MigrationPhase.Completed ? "host-a" : "host-b"));
        Assert.True(started.IsOk, started.Error?.Message);
        await cluster.WaitForCompletedAsync(again, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Write_the_snapshot_fixture_when_asked()
    {
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_WRITE_SNAPSHOT_FIXTURE") != "1")
        {
            return; // Regenerating a fixture is a deliberate act.
        }

        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var options = TestCluster.DefaultOptions with { SnapshotEvery = 2 };
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], options);

        var moved = MigrationId.Parse("m-snapshot-moved");
        Assert.True((await node.Client.StartMigrationAsync(moved, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        await cluster.WaitForCompletedAsync(moved, TimeSpan.FromSeconds(30));
        Assert.True((await node.Client.CordonAsync(HostId.Parse("host-c"), true, "snapshot fixture")).IsOk);
        Assert.True((await node.Client.CordonAsync(HostId.Parse("host-c"), false)).IsOk);
        Assert.True((await node.Client.CordonAsync(HostId.Parse("host-c"), true, "snapshot fixture")).IsOk);

        // A migration left in flight (its target VF's creation hangs) when the node stops: its claim, reservations and
        // admission must come back from the ledger snapshot.
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(Orchestrator.Devices.Simulation.DeviceCommand.CreateVf, 1);
        Assert.True((await node.Client.StartMigrationAsync(MigrationId.Parse("m-snapshot-held"), WorkloadId.Parse("vm-2"), HostId.Parse("host-b"))).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.AssertAsync(
            () => Task.Run(() => Assert.Contains(ReadSnapshots(cluster.JournalPath), s => s.Manifest == "PlacementLedgerSnapshot.v1" && s.Payload.Length > 200)),
            TimeSpan.FromSeconds(10));
        await node.CrashAsync();
        hang.Release();

        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={cluster.JournalPath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        File.Copy(cluster.JournalPath, SourcePath, overwrite: true);
    }

    [Fact]
    public async Task The_authority_counts_the_events_it_recovered_towards_its_next_snapshot()
    {
        // One migration's placement events under a first node, below its snapshot interval; then a second node that
        // recovers them and writes as many again: the two together cross the interval, so the second must snapshot.
        // (An authority that counted only its own writes would never snapshot when the singleton moves often.)
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        string[] hosts = ["host-a", "host-b", "host-c"];
        var first = await cluster.StartNodeAsync("node-1", hosts);
        await first.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        var one = MigrationId.Parse("m-snapshot-count-1");
        Assert.True((await first.Client.StartMigrationAsync(one, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        await cluster.WaitForCompletedAsync(one, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => AuthorityEvents(cluster.JournalPath) > 0, "the first migration's placement events");
        await first.StopAsync();
        var recovered = AuthorityEvents(cluster.JournalPath);

        var second = await cluster.StartNodeAsync("node-2", hosts, TestCluster.DefaultOptions with { SnapshotEvery = (int)recovered + 1 });
        await second.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(ReadSnapshots(cluster.JournalPath), s => s.PersistenceId == "placement-authority");
        var two = MigrationId.Parse("m-snapshot-count-2");
        Assert.True((await second.Client.StartMigrationAsync(two, WorkloadId.Parse("vm-2"), HostId.Parse("host-b"))).IsOk);
        await cluster.WaitForCompletedAsync(two, TimeSpan.FromSeconds(30));

        await Eventually.AssertAsync(
            () => Task.Run(() => Assert.Contains(ReadSnapshots(cluster.JournalPath), s => s.PersistenceId == "placement-authority" && s.SequenceNr > recovered)),
            TimeSpan.FromSeconds(10));
    }

    private static long AuthorityEvents(string path) =>
        JournalFixture.ReadEvents(path).Where(e => e.PersistenceId == "placement-authority").Select(e => e.SequenceNr).DefaultIfEmpty(0).Max();

    private static List<(string PersistenceId, long SequenceNr, int Serializer, string Manifest, byte[] Payload)> ReadSnapshots(string path)
    {
        var rows = new List<(string, long, int, string, byte[])>();
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, serializer_id, manifest, snapshot FROM snapshot ORDER BY persistence_id, sequence_number";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), (byte[])reader[4]));
        }

        return rows;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
