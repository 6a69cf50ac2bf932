using Orchestrator.Cluster.Serialization;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>A journal written by an earlier version must stay readable, event for event and migration for migration.</summary>
public class JournalFixtureTests
{
    private static readonly List<(string PersistenceId, long SequenceNr, int Serializer, string Manifest, byte[] Payload)> Events =
        JournalFixture.ReadEvents(JournalFixture.SourcePath);

    private static IEnumerable<(string PersistenceId, long SequenceNr, int Serializer, string Manifest, byte[] Payload)> Ours =>
        Events.Where(e => e.Serializer == EventSerializer.SerializerId);

    [Fact]
    public void Every_manifest_this_version_knows_is_in_the_fixture()
    {
        Assert.Empty(EventSerializer.KnownManifests.Except(Ours.Select(e => e.Manifest)));
    }

    [Fact]
    public void Every_stored_event_reads_back_and_writes_the_same_bytes()
    {
        // Same bytes: an event whose shape changed without a new manifest version fails here.
        foreach (var e in Ours)
        {
            var decoded = EventSerializer.Decode(e.Manifest, e.Payload);
            var (manifest, payload) = EventSerializer.Encode(decoded);
            Assert.Equal(e.Manifest, manifest);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(e.Payload), System.Text.Encoding.UTF8.GetString(payload));
        }
    }

    [Fact]
    public void Migrations_replay_to_their_end_state_with_the_domain()
    {
        var byMigration = Ours.Where(e => e.PersistenceId.StartsWith("migration-", StringComparison.Ordinal))
            .GroupBy(e => e.PersistenceId)
            .ToDictionary(g => g.Key, g => MigrationState.Replay(
                MigrationId.Parse(g.Key["migration-".Length..]),
                g.OrderBy(e => e.SequenceNr).Select(e => (IMigrationEvent)EventSerializer.Decode(e.Manifest, e.Payload))));
        Assert.Equal(MigrationPhase.Completed, byMigration["migration-m-fixture-multi"].Phase);
        Assert.Equal(MigrationPhase.RolledBack, byMigration["migration-m-fixture-rollback"].Phase);
        var recovered = byMigration["migration-m-fixture-recover"];
        Assert.Equal(MigrationPhase.Completed, recovered.Phase);
        var requested = Ours.Where(e => e.PersistenceId == "migration-m-fixture-recover")
            .Select(e => EventSerializer.Decode(e.Manifest, e.Payload)).OfType<MigrationEvents.MigrationRequested>().Single();
        Assert.Equal(requested.Epoch.Next(), recovered.Epoch); // one recovery, one new epoch
        var failed = byMigration["migration-m-fixture-failed"];
        Assert.Equal(MigrationPhase.Failed, failed.Phase);
        Assert.Equal(FailureCode.TargetStateLost, failed.FailureCode);
        Assert.Empty(failed.Reservations);
    }

    [Fact]
    public async Task A_node_recovers_coordinators_and_hosts_from_the_stored_journal()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        File.Copy(JournalFixture.SourcePath, cluster.JournalPath, overwrite: true);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        var multi = (await node.Client.GetMigrationAsync(MigrationId.Parse("m-fixture-multi"))).Value!;
        Assert.Equal(MigrationPhase.Completed, multi.State);
        Assert.Equal(2, multi.Vfs.Count);
        Assert.Contains(multi.Timeline, t => t.State == MigrationPhase.Committed);

        var rolledBack = (await node.Client.GetMigrationAsync(MigrationId.Parse("m-fixture-rollback"))).Value!;
        Assert.Equal(MigrationPhase.RolledBack, rolledBack.State);
        Assert.Contains("EIO", rolledBack.Reason, StringComparison.Ordinal);

        var recovered = (await node.Client.GetMigrationAsync(MigrationId.Parse("m-fixture-recover"))).Value!;
        Assert.Equal(MigrationPhase.Completed, recovered.State);

        var failed = (await node.Client.GetMigrationAsync(MigrationId.Parse("m-fixture-failed"))).Value!;
        Assert.Equal((MigrationPhase.Failed, "TargetStateLost"), (failed.State, failed.Code));

        // The host actor recovered its cordon from the same journal.
        await Eventually.AssertAsync(async () =>
            Assert.True((await node.Client.GetInventoryAsync()).Inventory.FindHost(HostId.Parse("host-c"))!.Cordoned));
    }
}
