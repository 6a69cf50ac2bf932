using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Inventory;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// The replicated index of migrations (their latest view), for listing and live updates, split over
/// <see cref="ShardCount"/> keys by a stable hash of the migration id. Akka.DistributedData gossips a key's whole value in
/// one remoting frame (128 000 B by default): one key holding the retention's 10 000 ended views (about 2 MB) would
/// be dropped by remoting, and majority reads of it would fail. Split, each key holds about 1/64 of it (about 32 KB).
/// </summary>
public static class MigrationIndex
{
    /// <summary>How many keys the index is split over.</summary>
    public const int ShardCount = 64;

    private static readonly ShardedKey<MigrationView> Sharded = new("orchestrator-migrations", ShardCount);

    /// <summary>Every key of the index, by shard.</summary>
    public static IReadOnlyList<LWWDictionaryKey<string, MigrationView>> Keys => Sharded.Keys;

    /// <summary>The key that holds migration <paramref name="id"/>.</summary>
    public static LWWDictionaryKey<string, MigrationView> KeyOf(MigrationId id) => Sharded.KeyOf(id.Value);

    /// <summary>The shard of a migration id (see <see cref="ShardedKey{TValue}.ShardOf"/>).</summary>
    public static int ShardOf(string id) => Sharded.ShardOf(id);

    /// <summary>The shard of an index key, or -1 when <paramref name="key"/> is not one.</summary>
    public static int ShardOfKey(IKey key) => Sharded.ShardOfKey(key);

    /// <summary>Subscribes <paramref name="subscriber"/> to every key of the index.</summary>
    public static void Subscribe(IActorRef replicator, IActorRef subscriber) => Sharded.Subscribe(replicator, subscriber);

    /// <summary>
    /// Reads every key with <paramref name="consistency"/>, at once; an absent key is empty. Throws
    /// <see cref="InvalidOperationException"/> naming the shard when one could not be read so.
    /// </summary>
    public static async Task<IReadOnlyList<MigrationView>> ReadAsync(IActorRef replicator, IReadConsistency consistency, TimeSpan timeout, CancellationToken ct = default)
    {
        var shards = await Sharded.ReadAsync(replicator, consistency, timeout, ct).ConfigureAwait(false);
        return [.. shards.Where(s => s is not null).SelectMany(s => s!.Entries.Values)];
    }
}

/// <summary>
/// How long the replicated index lists ended migrations: for <see cref="Window"/> after they ended, and never more than
/// <see cref="MaxEnded"/> of them (the newest stay). In-flight migrations are always listed.
/// </summary>
public sealed record IndexRetention(TimeSpan Window, int MaxEnded)
{
    /// <summary>24 hours, at most 10 000 ended migrations.</summary>
    public static IndexRetention Default { get; } = new(TimeSpan.FromHours(24), 10_000);

    /// <summary>The ids of the ended migrations of <paramref name="views"/> that leave the index now.</summary>
    public IReadOnlyList<string> Expired(IEnumerable<MigrationView> views, DateTimeOffset now) =>
        Expired(views, v => v.IsTerminal, v => v.UpdatedAt, v => v.Id.ToString(), now);

    /// <summary>The ids of the ended items of <paramref name="items"/> that leave their index now (evacuations too).</summary>
    public IReadOnlyList<string> Expired<T>(IEnumerable<T> items, Func<T, bool> ended, Func<T, DateTimeOffset> updatedAt, Func<T, string> id, DateTimeOffset now)
    {
        // Newest first; an ended item's UpdatedAt is when it ended.
        var done = items.Where(ended).OrderByDescending(updatedAt).ThenBy(id, StringComparer.Ordinal).ToList();
        return [.. done.Where((v, i) => i >= MaxEnded || now - updatedAt(v) > Window).Select(id)];
    }
}
