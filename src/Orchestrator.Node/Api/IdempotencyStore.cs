using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Api;

/// <summary>
/// Idempotency keys of <c>POST /migrations</c> (and of <c>POST /vfs</c>, under <see cref="VfKey"/>, with the VF it
/// created), kept in the cluster so they survive the API node:
/// <list type="bullet">
/// <item>The migration id is derived from the key (<c>m-</c> + SHA-256 of the key, 128 bits, Crockford base32), so
/// the same key on any node, at any time, addresses the same sharded coordinator, which is idempotent itself.</item>
/// <item>The request (workload, target) is hashed and stored under the key in a replicated
/// <c>LWWDictionary</c> (written with majority) once the migration was accepted; the same key with another body is
/// 409. The map is split over <see cref="ShardCount"/> keys by the idempotency key (<see cref="KeyOf"/>): a request
/// reads and writes its own shard, so what moves between nodes per request is 1/64 of the window, not all of it.</item>
/// <item>Two different bodies racing with one key on two nodes both reach the coordinator; the loser gets the
/// winner's migration back and the API compares workload and target with it (409 when they differ).</item>
/// <item>The stored hash expires after <paramref name="retention"/> (<c>api.idempotency-retention</c>, 24 h, as payment
/// APIs keep keys): every write drops its shard's expired entries, so the map holds the keys of one window, not of every
/// request ever made. The key still names its migration after that; a retry answers it as before, and another body
/// is still 409 by the comparison with the migration itself.</item>
/// </list>
/// </summary>
public sealed class IdempotencyStore(ActorSystem system, TimeProvider time, TimeSpan retention)
{
    /// <summary>How many replicated keys the idempotency map is split over.</summary>
    public const int ShardCount = 64;

    private static readonly ShardedKey<string> Sharded = new("orchestrator-idempotency", ShardCount);

    /// <summary>The replicated key (idempotency key → request hash) that holds <paramref name="key"/>.</summary>
    public static LWWDictionaryKey<string, string> KeyOf(string key) => Sharded.KeyOf(key);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>The migration id a key stands for.</summary>
    public static MigrationId MigrationIdFor(string key)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("orchestrator-idempotency-key:" + key));
        return MigrationId.New(new Guid(digest.AsSpan(0, 16)));
    }

    /// <summary>
    /// The hash of a request body's meaning (workload, target and the effective policy's canonical text; field order and
    /// spacing do not matter). Without a policy it is the hash keys had before policies were accepted.
    /// </summary>
    public static string RequestHash(WorkloadId workload, HostId? target, string? policy = null) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"workload={workload}\ntarget={target?.Value ?? ""}" + (policy is null ? "" : $"\npolicy={policy}"))));

    /// <summary>Where a <c>POST /vfs</c> key is kept: apart from migration keys, so that one key string may serve both.</summary>
    public static string VfKey(string key) => "vf:" + key;

    /// <summary>The hash of a <c>POST /vfs</c> body's meaning.</summary>
    public static string VfRequestHash(PfId pf, Devices.Contract.VfKind kind, Devices.Contract.ProfileId profile, WorkloadId? workload, int? index) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"pf={pf}\nkind={kind}\nprofile={profile}\nworkload={workload?.Value ?? ""}\nindex={index?.ToString(CultureInfo.InvariantCulture) ?? ""}")));

    /// <summary>What is stored for a <c>POST /vfs</c> key: the body's hash and the VF it created.</summary>
    public static string VfEntry(string hash, VfId vf) => $"{hash}@{vf}";

    /// <summary>The parts of <see cref="VfEntry"/>.</summary>
    public static (string Hash, string Vf) ParseVfEntry(string entry)
    {
        var at = entry.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? (entry, "") : (entry[..at], entry[(at + 1)..]);
    }

    /// <summary>The request's Idempotency-Key header (empty when it has none), or the 400 that names a bad one.</summary>
    public static (string Key, IResult? Problem) ReadKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        const string header = MigrationEndpoints.IdempotencyHeader;
        var key = request.Headers[header].ToString();
        return request.Headers.ContainsKey(header) && !IsValidKey(key)
            ? (key, ApiProblems.BadInput(header, key, $"{header}: '{key}' must be 1-255 printable ASCII characters"))
            : (key, null);
    }

    /// <summary>A valid key: 1–255 printable ASCII characters.</summary>
    public static bool IsValidKey(string key) => key.Length is > 0 and <= 255 && key.All(c => c is >= ' ' and <= '~');

    /// <summary>The request hash stored under <paramref name="key"/>, or null.</summary>
    public async Task<string?> GetAsync(string key, CancellationToken ct)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var shard = KeyOf(key);
        var response = await replicator.Ask<IGetResponse>(Dsl.Get(shard, new ReadMajority(Timeout)), Timeout + TimeSpan.FromSeconds(1), ct);
        if (response is not GetSuccess)
        {
            // Majority not reachable: what this node has is the best answer there is.
            response = await replicator.Ask<IGetResponse>(Dsl.Get(shard, ReadLocal.Instance), Timeout, ct);
        }

        return response is GetSuccess success && success.Get(shard).TryGetValue(key, out var entry) && Parse(entry) is { } stored
               && time.GetUtcNow() - stored.At <= retention
            ? stored.Hash
            : null;
    }

    /// <summary>Stores the request hash under <paramref name="key"/> (majority write; locally at least).</summary>
    public async Task SetAsync(string key, string hash, CancellationToken ct)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
        var now = time.GetUtcNow();
        var entry = string.Create(CultureInfo.InvariantCulture, $"{hash} {now.ToUnixTimeMilliseconds()}");
        await replicator.Ask<IUpdateResponse>(
            Dsl.Update(KeyOf(key), LWWDictionary<string, string>.Empty, new WriteMajority(Timeout), d =>
            {
                // Entries of before the expiry (a bare hash) carry no time: they go too.
                var expired = d.Entries.Where(e => Parse(e.Value) is not { } s || now - s.At > retention).Select(e => e.Key).ToList();
                return expired.Aggregate(d, (acc, k) => acc.Remove(self, k)).SetItem(self, key, entry);
            }),
            Timeout + TimeSpan.FromSeconds(1),
            ct);
    }

    /// <summary>How many keys the local replica holds, over every shard (for tests and the bounded-memory measurement).</summary>
    public async Task<int> CountAsync(CancellationToken ct)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var counts = await Task.WhenAll(Sharded.Keys.Select(async shard =>
            await replicator.Ask<IGetResponse>(Dsl.Get(shard, ReadLocal.Instance), Timeout, ct) is GetSuccess success ? success.Get(shard).Count : 0));
        return counts.Sum();
    }

    private static (string Hash, DateTimeOffset At)? Parse(string entry)
    {
        var space = entry.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && long.TryParse(entry.AsSpan(space + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? (entry[..space], DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : null;
    }
}
