using BenchmarkDotNet.Attributes;
using Orchestrator.Cluster.Transfer;

namespace Orchestrator.Benchmarks;

/// <summary>
/// The state stream over loopback TCP: chunking, framing, XxHash128 on both ends, ack; the source hands out a static
/// buffer and the sink drops the bytes, so only the data plane is measured.
/// </summary>
[MemoryDiagnoser]
public class StateStreamBenchmarks
{
    private readonly byte[] _pattern = new byte[1 << 20];

    [Params(64 * 1024, 16 * 1024 * 1024, 256 * 1024 * 1024)]
    public long Bytes { get; set; }

    [GlobalSetup]
    public void Setup() => new Random(7).NextBytes(_pattern);

    [Benchmark]
    public async Task<long> Transfer()
    {
        await using var listener = StateTransferListener.Start("m-bench", 1, static (_, _) => ValueTask.CompletedTask);
        var sent = await StateTransferSender.SendAsync(listener.Offer, PatternSource.Of(_pattern, Bytes));
        var received = await listener.Completion;
        return sent.IsOk && received.IsOk ? received.Bytes : throw new InvalidOperationException($"{sent.Outcome} {received.Outcome}: {sent.Detail} {received.Detail}");
    }
}
