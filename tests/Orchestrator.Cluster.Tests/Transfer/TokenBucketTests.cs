using Orchestrator.Cluster.Transfer;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Transfer;

public sealed class TokenBucketTests
{
    [Fact]
    public void Starts_full_then_charges_debt_as_an_exact_wait()
    {
        var time = new SteppingTimeProvider();
        var bucket = new TokenBucket(bytesPerSecond: 1000, burstBytes: 500, time);

        Assert.Equal(TimeSpan.Zero, bucket.Reserve(500));
        Assert.Equal(TimeSpan.FromMilliseconds(250), bucket.Reserve(250));
        Assert.Equal(-250, bucket.AvailableBytes);
    }

    [Fact]
    public void Refills_at_the_rate_but_never_beyond_the_burst()
    {
        var time = new SteppingTimeProvider();
        var bucket = new TokenBucket(bytesPerSecond: 1000, burstBytes: 500, time);
        bucket.Reserve(750);

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(-150, bucket.AvailableBytes);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(500, bucket.AvailableBytes);
        Assert.Equal(TimeSpan.FromSeconds(1.5), bucket.Reserve(2000));
    }

    [Fact]
    public void Long_runs_do_not_drift()
    {
        var time = new SteppingTimeProvider();
        var bucket = new TokenBucket(bytesPerSecond: 3, burstBytes: 1, time);
        var waited = TimeSpan.Zero;
        bucket.Reserve(1);
        for (var i = 0; i < 3000; i++)
        {
            var wait = bucket.Reserve(1);
            time.Advance(wait);
            waited += wait;
        }

        // 3000 bytes at 3 B/s is 1000 s; per-step rounding up must not accumulate.
        Assert.InRange(waited, TimeSpan.FromSeconds(1000), TimeSpan.FromSeconds(1000) + TimeSpan.FromTicks(1));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-5, 10)]
    public void Rejects_a_rate_or_burst_that_is_not_positive(long rate, long burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(rate, burst, TimeProvider.System));
}
