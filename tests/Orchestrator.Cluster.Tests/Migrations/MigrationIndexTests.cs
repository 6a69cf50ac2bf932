using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// The replicated index is split over keys so that no key outgrows a remoting frame; every node must put a migration
/// under the same key, so the split is a stable hash, not .NET's per-process string hash.
/// </summary>
public class MigrationIndexTests
{
    [Fact]
    public void A_migrations_shard_is_the_same_in_every_process()
    {
        // Pinned: FNV-1a of the id's text, modulo 64. A change here moves every migration to another key.
        Assert.Equal(27, MigrationIndex.ShardOf("m-shard-pin"));
        Assert.Equal(MigrationIndex.Keys[27], MigrationIndex.KeyOf(MigrationId.Parse("m-shard-pin")));
        Assert.Equal(27, MigrationIndex.ShardOfKey(MigrationIndex.Keys[27]));
        Assert.Equal(-1, MigrationIndex.ShardOfKey(Orchestrator.Cluster.Inventory.HostDirectory.Keys[0]));
    }

    [Fact]
    public void Ten_thousand_migration_ids_spread_evenly_enough_over_the_keys()
    {
        var random = new Random(19);
        var start = new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
        var counts = new int[MigrationIndex.ShardCount];
        for (var i = 0; i < 10_000; i++)
        {
            counts[MigrationIndex.ShardOf(MigrationId.New(start.AddSeconds(i), random).Value)]++;
        }

        // 156 per key on average: no key holds twice that (the bench measures the largest key against the frame).
        Assert.All(counts, c => Assert.InRange(c, 78, 234));
    }
}
