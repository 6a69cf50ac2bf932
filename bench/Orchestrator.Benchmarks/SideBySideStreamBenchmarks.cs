using BenchmarkDotNet.Attributes;
using Orchestrator.Cluster.Transfer;

namespace Orchestrator.Benchmarks;

/// <summary>
/// A multi-VF workload's pre-copy round as a PF streams it now (issue 16): every VF's segment side by side, one
/// loopback connection each, under one <see cref="TokenBucket"/> shared by the PF's senders (its lock taken per chunk)
/// or under none. The cap is far above what loopback carries, so that it never binds: what is measured is the shared
/// bucket's cost on the data path, not the cap.
/// </summary>
[MemoryDiagnoser]
public class SideBySideStreamBenchmarks
{
    private const long BytesPerVf = 16 * 1024 * 1024;
    private readonly byte[] _pattern = new byte[1 << 20];

    /// <summary>VFs of the workload on the PF, each with its own stream.</summary>
    [Params(1, 4)]
    public int Vfs { get; set; }

    /// <summary>Whether the PF's senders share a bucket (the bandwidth policy set) or have none.</summary>
    [Params(false, true)]
    public bool SharedBucket { get; set; }

    [GlobalSetup]
    public void Setup() => new Random(7).NextBytes(_pattern);

    [Benchmark]
    public async Task<long> Round()
    {
        var bucket = SharedBucket ? new TokenBucket(1L << 40, 64 * 1024, TimeProvider.System) : null;
        var streams = Enumerable.Range(0, Vfs).Select(_ => Task.Run(async () =>
        {
            await using var listener = StateTransferListener.Start("m-bench", 1, static (_, _) => ValueTask.CompletedTask);
            await using var sender = await StateTransferSender.ConnectAsync(listener.Offer);
            sender.SetBandwidthLimit(bucket);
            var sent = await sender.SendSegmentAsync(PatternSource.Of(_pattern, BytesPerVf), isLast: true);
            var received = await listener.Completion;
            return sent.IsOk && received.IsOk ? received.Bytes : throw new InvalidOperationException($"{sent.Outcome} {received.Outcome}: {sent.Detail} {received.Detail}");
        }));
        return (await Task.WhenAll(streams)).Sum();
    }
}

/// <summary>One chunk's reservation from a PF's shared bucket: the lock, the refill and the debt check.</summary>
public class TokenBucketBenchmarks
{
    private readonly TokenBucket _bucket = new(1L << 40, 64 * 1024, TimeProvider.System);

    [Benchmark]
    public TimeSpan Reserve() => _bucket.Reserve(64 * 1024);
}
