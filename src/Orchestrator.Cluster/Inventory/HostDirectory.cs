using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;

namespace Orchestrator.Cluster.Inventory;

/// <summary>
/// The replicated host directory: each host's <see cref="HostEntry"/>, split over <see cref="ShardCount"/> keys by a
/// stable hash of the host id. Akka.DistributedData serializes a key's whole value to compute its gossip digest, sends
/// the whole value when digests differ and in every majority read: with every host in one key, each host's publish
/// (several a second while migrations run) made every node serialize every host's entry. Split, a host's change
/// costs its own shard; readers keep a <see cref="DirectoryCopy"/> of all shards.
/// </summary>
public static class HostDirectory
{
    /// <summary>How many keys the directory is split over.</summary>
    public const int ShardCount = 16;

    private static readonly ShardedKey<HostEntry> Sharded = new("orchestrator-hosts", ShardCount);

    /// <summary>Every key of the directory, by shard.</summary>
    public static IReadOnlyList<LWWDictionaryKey<string, HostEntry>> Keys => Sharded.Keys;

    /// <summary>The key that holds host <paramref name="host"/>'s entry.</summary>
    public static LWWDictionaryKey<string, HostEntry> KeyOf(HostId host) => Sharded.KeyOf(host.ToString());

    /// <summary>The shard of a host id (see <see cref="ShardedKey{TValue}.ShardOf"/>).</summary>
    public static int ShardOf(HostId host) => Sharded.ShardOf(host.ToString());

    /// <summary>The shard of a directory key, or -1 when <paramref name="key"/> is not one.</summary>
    public static int ShardOfKey(IKey key) => Sharded.ShardOfKey(key);

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to every key and, with <paramref name="readLocal"/>, asks this node's
    /// copy of each: it receives <see cref="Changed"/> and <see cref="GetSuccess"/>/<see cref="NotFound"/> messages for
    /// <see cref="DirectoryCopy.Apply(IKey, object?)"/>.
    /// </summary>
    public static void Subscribe(IActorRef replicator, IActorRef subscriber, bool readLocal = true) =>
        Sharded.Subscribe(replicator, subscriber, readLocal);

    /// <summary>
    /// Reads every key with <paramref name="consistency"/>, at once (an absent key is empty); null when any shard could
    /// not be read so within <paramref name="timeout"/> (the caller decides what a partial read is worth).
    /// </summary>
    public static async Task<DirectoryRead?> ReadAsync(IActorRef replicator, IReadConsistency consistency, TimeSpan timeout, CancellationToken ct = default)
    {
        try
        {
            return new DirectoryRead(await Sharded.ReadAsync(replicator, consistency, timeout, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>One read of every shard of the directory (null where a shard is absent).</summary>
public sealed class DirectoryRead
{
    internal DirectoryRead(IReadOnlyList<LWWDictionary<string, HostEntry>?> shards) => Shards = shards;

    internal IReadOnlyList<LWWDictionary<string, HostEntry>?> Shards { get; }

    /// <summary>The directory this read saw.</summary>
    public InventoryView View => new DirectoryCopy().Merge(this).View;
}

/// <summary>
/// A subscriber's copy of the directory, shard by shard. Applying a change replaces only its shard; the merged
/// <see cref="View"/> is built when asked for, not on every change (a coordinator only looks PFs up).
/// </summary>
public sealed class DirectoryCopy
{
    private readonly LWWDictionary<string, HostEntry>?[] _shards = new LWWDictionary<string, HostEntry>?[HostDirectory.ShardCount];
    private InventoryView? _view;

    /// <summary>Every host's entry, as this copy holds it.</summary>
    public InventoryView View => _view ??= Build();

    /// <summary>How many hosts this copy holds.</summary>
    public int HostCount => _shards.Sum(s => s?.Count ?? 0);

    /// <summary>
    /// Takes a shard's value from a <see cref="Changed"/> or <see cref="GetSuccess"/> of a directory key; false (and
    /// nothing changed) when <paramref name="key"/> is not one.
    /// </summary>
    public bool Apply(IKey key, object? data)
    {
        var shard = HostDirectory.ShardOfKey(key);
        if (shard < 0 || data is not LWWDictionary<string, HostEntry> value)
        {
            return false;
        }

        _shards[shard] = value;
        _view = null;
        return true;
    }

    /// <summary>Merges a read into this copy (a CRDT merge: never older than what either held).</summary>
    public DirectoryCopy Merge(DirectoryRead read)
    {
        ArgumentNullException.ThrowIfNull(read);
        for (var i = 0; i < _shards.Length; i++)
        {
            if (read.Shards[i] is { } value)
            {
                _shards[i] = _shards[i] is { } held ? held.Merge(value) : value;
            }
        }

        _view = null;
        return this;
    }

    /// <summary>A host's entry, looked up in its own shard.</summary>
    public HostEntry? Host(HostId host) =>
        _shards[HostDirectory.ShardOf(host)] is { } shard && shard.TryGetValue(host.ToString(), out var entry) ? entry : null;

    /// <summary>A PF actor's ref, looked up in its host's shard.</summary>
    public IActorRef? PfRef(PfId pf) => Host(pf.Host) is { } host && host.Pfs.TryGetValue(pf, out var actor) ? actor : null;

    private InventoryView Build() =>
        new(_shards.Where(s => s is not null).SelectMany(s => s!.Entries.Values).ToDictionary(h => h.Inventory.Id, h => h));
}
