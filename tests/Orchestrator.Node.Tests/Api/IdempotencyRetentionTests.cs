using Microsoft.Extensions.Time.Testing;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Issue 15: the replicated Idempotency-Key map keeps one window of keys, not every request ever made.</summary>
[Collection(ApiNodeCollection.Name)]
public class IdempotencyRetentionTests(ApiNode node)
{
    [Fact]
    public async Task A_key_older_than_the_window_is_forgotten_at_the_next_write_to_its_shard_and_a_fresh_one_is_kept()
    {
        var system = node.Node.System!;
        var window = TimeSpan.FromHours(1);
        var twoHoursAgo = new IdempotencyStore(system, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2)), window);
        var now = new IdempotencyStore(system, TimeProvider.System, window);
        var oldKey = "retention-old-" + Guid.NewGuid();
        // A write prunes its own shard of the map (each request reads and writes only its key's shard).
        var newKey = Enumerable.Range(0, 10_000).Select(i => $"retention-new-{i}-{Guid.NewGuid()}")
            .First(k => IdempotencyStore.KeyOf(k).Equals(IdempotencyStore.KeyOf(oldKey)));

        await twoHoursAgo.SetAsync(oldKey, "hash-old", CancellationToken.None);
        Assert.Equal("hash-old", await twoHoursAgo.GetAsync(oldKey, CancellationToken.None));
        Assert.Null(await now.GetAsync(oldKey, CancellationToken.None)); // expired, even before anything pruned it
        var before = await now.CountAsync(CancellationToken.None);

        await now.SetAsync(newKey, "hash-new", CancellationToken.None);

        Assert.Equal("hash-new", await now.GetAsync(newKey, CancellationToken.None));
        Assert.Null(await twoHoursAgo.GetAsync(oldKey, CancellationToken.None)); // gone from the map, not only hidden
        Assert.Equal(before, await now.CountAsync(CancellationToken.None)); // one in, one out
    }
}
