using Akka.Actor;
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

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to every key; with <paramref name="readLocal"/> also asks this node's
    /// copy of each on its behalf (it then receives a <see cref="GetSuccess"/> or <see cref="NotFound"/> per key).
    /// </summary>
    public void Subscribe(IActorRef replicator, IActorRef subscriber, bool readLocal = false)
    {
        ArgumentNullException.ThrowIfNull(replicator);
        foreach (var key in Keys)
        {
            replicator.Tell(Dsl.Subscribe(key, subscriber));
            if (readLocal)
            {
                replicator.Tell(Dsl.Get(key, ReadLocal.Instance), subscriber);
            }
        }
    }

    /// <summary>
    /// Reads every key with <paramref name="consistency"/>, at once; an absent key reads as null. Throws
    /// <see cref="InvalidOperationException"/> naming the first shard that could not be read so (or
    /// <see cref="AskTimeoutException"/> when the replicator did not answer within <paramref name="timeout"/>).
    /// </summary>
    public async Task<IReadOnlyList<LWWDictionary<string, TValue>?>> ReadAsync(IActorRef replicator, IReadConsistency consistency, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(replicator);
        var responses = await Task.WhenAll(Keys.Select(key => replicator.Ask<IGetResponse>(Dsl.Get(key, consistency), timeout, ct))).ConfigureAwait(false);
        var shards = new LWWDictionary<string, TValue>?[Keys.Count];
        for (var i = 0; i < responses.Length; i++)
        {
            shards[i] = responses[i] switch
            {
                GetSuccess success => success.Get(Keys[i]),
                NotFound => null,
                var other => throw new InvalidOperationException(
                    $"{Keys[i].Id} (shard {i} of {Keys.Count}) was not readable {(consistency is ReadMajority ? "from a majority" : "locally")} ({other.GetType().Name})"),
            };
        }

        return shards;
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
