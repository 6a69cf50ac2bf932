namespace Orchestrator.Cluster.Tests;

public sealed class BoundedMapTests
{
    [Fact]
    public void Keeps_the_newest_keys_and_a_key_removed_and_added_again_is_new()
    {
        var map = new BoundedMap<string, int>(2);
        map.Set("a", 1);
        map.Set("b", 2);
        map.Set("a", 10); // an update keeps its place
        map.Set("c", 3); // forgets the oldest: a

        Assert.Equal((2, false, 2, 3), (map.Count, map.TryGetValue("a", out _), map.GetValueOrDefault("b"), map.GetValueOrDefault("c")));

        // Removed then added again, c is the newest: the next key forgets b, the oldest (a stale queue entry of c once
        // made the PF forget a retried key early).
        Assert.True(map.Remove("c"));
        map.Set("c", 30);
        map.Set("d", 4);
        Assert.Equal((false, 30, 4), (map.TryGetValue("b", out _), map.GetValueOrDefault("c"), map.GetValueOrDefault("d")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedMap<string, int>(0));
    }
}
