using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Orchestrator.Bench;

/// <summary>
/// A running .NET process's managed heap after a full blocking GC, read from outside through its diagnostics port:
/// an EventPipe session with the runtime's <c>GCHeapCollect</c> keyword induces the collection (as dotnet-gcdump
/// does), and the <c>GCHeapStats</c> event at its end gives what survived it. The node needs no endpoint or setting
/// for it.
/// </summary>
internal static class NodeHeap
{
    /// <summary>
    /// What survived a full GC: <paramref name="Small"/>, the small-object heap (promoted from gen0–2), and
    /// <paramref name="Large"/>, the large and pinned object heaps (big arrays, such as the state transfer's pooled 1 and 2 MiB segments).
    /// </summary>
    public readonly record struct Live(long Small, long Large)
    {
        public long Total => Small + Large;
    }

    /// <summary>
    /// Live bytes after an induced full GC of <paramref name="pid"/>: what it promoted from gen0–2, the large and the
    /// pinned object heaps. Not the generations' sizes, which also count the free space between live objects and move
    /// with fragmentation rather than with what the process holds.
    /// </summary>
    public static async Task<Live> AfterFullGcAsync(int pid, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(pid);
        var providers = new[]
        {
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational,
                (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect)),
        };
        using var session = await client.StartEventPipeSessionAsync(providers, requestRundown: false, token: CancellationToken.None);
        using var source = new EventPipeEventSource(session.EventStream);
        var induced = false;
        var heap = new TaskCompletionSource<Live>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Clr.GCStart += e => induced |= e.Reason == GCReason.Induced;
        source.Clr.GCHeapStats += e =>
        {
            if (induced)
            {
                heap.TrySetResult(new Live(e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2, e.TotalPromotedSize3 + e.TotalPromotedSize4));
            }
        };
        var pump = Task.Run(source.Process);
        // TraceEvent dispatches an event once the runtime has flushed the block holding it, which it may do only when
        // the session stops: wait for the event a little, then stop the session, which flushes everything.
        await Task.WhenAny(heap.Task, Task.Delay(TimeSpan.FromSeconds(3)));
        await session.StopAsync(CancellationToken.None);
        await pump.WaitAsync(timeout);
        return heap.Task.IsCompleted
            ? await heap.Task
            : throw new TimeoutException($"process {pid}: no GCHeapStats event after an induced GC");
    }
}
