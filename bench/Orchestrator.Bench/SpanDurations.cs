using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestrator.Cluster.Tracing;

namespace Orchestrator.Bench;

/// <summary>
/// Listens to the migrations' spans in this process (coordinator steps, PF steps, state streams) and sums their
/// durations by name: where an in-process figure's time goes, step by step, without changing what runs.
/// </summary>
internal sealed class SpanDurations : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _byName = new(StringComparer.Ordinal);
    private readonly ActivityListener _listener;

    public SpanDurations()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MigrationTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _byName.GetOrAdd(a.DisplayName, _ => []).Add(a.Duration.TotalMilliseconds),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The <paramref name="top"/> span names by summed time: count, median and sum.</summary>
    public string Summary(int top = 12) => string.Join(", ", _byName
        .Select(kv => (Name: kv.Key, Times: kv.Value.ToArray()))
        .OrderByDescending(s => s.Times.Sum())
        .Take(top)
        .Select(s => $"{s.Name} ×{s.Times.Length} median {Stats.F(Stats.Median(s.Times), "0.0")} ms, sum {Stats.F(s.Times.Sum() / 1000, "0.00")} s"));

    public void Dispose() => _listener.Dispose();
}
