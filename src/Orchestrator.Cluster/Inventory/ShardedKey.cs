using Akka.DistributedData;

namespace Orchestrator.Cluster.Inventory;

/// <summary>
/// A replicated map split over several Akka.DistributedData keys by a stable hash of the entry's key. DData gossips
/// and reads a key's whole value at once (one remoting frame, 128 000 B by default; a majority read moves all of it
/// between nodes): a map that grows with the traffic must be split so that each part stays small.
/// </summary>
/// <typeparam name="TValue">The map's values.</typeparam>
public sealed class ShardedKey<TValue>
{
    /// <summary>Keys named <c><paramref name="name"/>-0</c> … <c>-(<paramref name="shards"/>−1)</c>.</summary>
    public ShardedKey(string name, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        Keys = [.. Enumerable.Range(0, shards).Select(i => new LWWDictionaryKey<string, TValue>($"{name}-{i}"))];
    }

    /// <summary>Every key, by shard.</summary>
    public IReadOnlyList<LWWDictionaryKey<string, TValue>> Keys { get; }

    /// <summary>The key that holds the entry <paramref name="entry"/>.</summary>
    public LWWDictionaryKey<string, TValue> KeyOf(string entry) => Keys[ShardOf(entry)];

    /// <summary>The shard of an entry: FNV-1a of its text, the same in every process (unlike string hash codes).</summary>
    public int ShardOf(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var hash = 2166136261u;
        foreach (var c in entry)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)Keys.Count);
    }

    /// <summary>The shard of one of these keys, or -1 when <paramref name="key"/> is not one.</summary>
    public int ShardOfKey(IKey key)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (Keys[i].Equals(key))
            {
                return i;
            }
        }

        return -1;
    }
}
