using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Issue 15: the replicated index lists in-flight migrations and a bounded window of ended ones; an ended migration
/// that left it is still read by id from its coordinator's journal.
/// </summary>
public class IndexRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ended_migrations_leave_after_the_window_or_beyond_the_cap_newest_kept_and_live_ones_never()
    {
        var retention = new IndexRetention(TimeSpan.FromHours(1), MaxEnded: 2);
        MigrationView[] views =
        [
            View("m-live-old", MigrationPhase.PreCopying, T0.AddHours(-5)),
            View("m-ended-old", MigrationPhase.Completed, T0.AddHours(-2)),
            View("m-ended-1", MigrationPhase.RolledBack, T0.AddMinutes(-30)),
            View("m-ended-2", MigrationPhase.Completed, T0.AddMinutes(-20)),
            View("m-ended-3", MigrationPhase.Failed, T0.AddMinutes(-10)),
        ];

        var expired = retention.Expired(views, T0);

        // m-ended-old is past the window; of the three within it only the newest two stay.
        Assert.Equal(["m-ended-1", "m-ended-old"], expired.Order(StringComparer.Ordinal));
        Assert.Empty(new IndexRetention(TimeSpan.FromHours(24), 10).Expired(views, T0));
    }

    [Fact]
    public async Task An_ended_migration_beyond_the_cap_leaves_the_list_and_is_still_read_by_id()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        // Ended coordinators passivate after 1 s, so the read by id below recovers the first one from its journal.
        var options = TestCluster.DefaultOptions with
        {
            IndexRetention = new IndexRetention(TimeSpan.FromHours(1), MaxEnded: 1),
            PassivateAfterEnd = TimeSpan.FromSeconds(1),
        };
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], options);

        var first = MigrationId.Parse("m-retention-1");
        var second = MigrationId.Parse("m-retention-2");
        Assert.True((await node.Client.StartMigrationAsync(first, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        await cluster.WaitForCompletedAsync(first, TimeSpan.FromSeconds(30));
        Assert.True((await node.Client.StartMigrationAsync(second, WorkloadId.Parse("vm-2"), HostId.Parse("host-b"))).IsOk);
        await cluster.WaitForCompletedAsync(second, TimeSpan.FromSeconds(30));

        // The keeper prunes every 2 s: the list comes down to the newest ended migration.
        await Eventually.AssertAsync(async () =>
        {
            var listed = await node.Client.ListMigrationsAsync();
            Assert.Equal([second], listed.Select(v => v.Id));
        }, TimeSpan.FromSeconds(20));

        var read = await node.Client.GetMigrationAsync(first);
        Assert.True(read.IsOk, read.Error?.Message);
        Assert.Equal(MigrationPhase.Completed, read.Value!.State);
        Assert.Equal(HostId.Parse("host-b"), read.Value.Target);
    }

    private static MigrationView View(string id, MigrationPhase state, DateTimeOffset updated) => new(
        MigrationId.Parse(id), WorkloadId.Parse("vm-1"), HostId.Parse("host-a"), HostId.Parse("host-b"), state, 1, updated.AddMinutes(-1), updated,
        new MigrationProgress(0, 0, 0, 0, null), null, null, [], [], [], MigrationStep.None, null, null, null);
}
