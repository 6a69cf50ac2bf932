using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Cluster.Tests.Transfer;

/// <summary>The trace context crosses the state stream: the target's span of a stream joins the migration's trace.</summary>
public sealed class StateStreamTracingTests : IDisposable
{
    private const int Length = 64 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public StateStreamTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MigrationTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task The_targets_span_of_the_stream_is_a_child_of_the_step_that_opened_it()
    {
        var migration = MigrationId.Parse("m-trace-child");
        var opener = new ActivityContext(MigrationTracing.TraceIdOf(migration), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var span = await StreamAsync(migration, $"00-{opener.TraceId.ToHexString()}-{opener.SpanId.ToHexString()}-01");

        Assert.Equal((opener.TraceId, opener.SpanId, ActivityKind.Server), (span.TraceId, span.ParentSpanId, span.Kind));
        Assert.Equal(ActivityStatusCode.Ok, span.Status);
        Assert.Equal((long)Length, span.GetTagItem(MigrationTracing.BytesAttribute));
        Assert.Equal("3", span.GetTagItem(MigrationTracing.EpochAttribute)?.ToString());
    }

    [Fact]
    public async Task Without_a_context_the_span_is_a_root_of_the_migrations_trace()
    {
        var migration = MigrationId.Parse("m-trace-root");
        var span = await StreamAsync(migration, traceParent: null);

        Assert.Equal((MigrationTracing.TraceIdOf(migration), default(ActivitySpanId)), (span.TraceId, span.ParentSpanId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    public async Task A_hello_reads_back_with_or_without_a_trace_context_and_a_cut_one_is_malformed(string? traceParent)
    {
        var payload = await HelloPayloadAsync(traceParent);
        Assert.True(StateStreamProtocol.TryParseHello(payload, out var hello));
        Assert.Equal(("m-1", 7L, traceParent), (hello.MigrationId, hello.Epoch, hello.TraceParent));
        Assert.False(StateStreamProtocol.TryParseHello([.. payload, 0x01], out _));
        if (traceParent is not null)
        {
            Assert.False(StateStreamProtocol.TryParseHello(payload.AsSpan(0, payload.Length - 1), out _));
        }
    }

    private async Task<Activity> StreamAsync(MigrationId migration, string? traceParent)
    {
        var sink = new PatternSink();
        await using var listener = StateTransferListener.Start(migration.ToString(), 3, sink.WriteAsync);
        var sent = await StateTransferSender.SendAsync(listener.Offer, StatePattern.Source(Length), new StateTransferSenderOptions { TraceParent = traceParent })
            .WaitAsync(Patience);
        Assert.Equal(StateTransferOutcome.Ok, sent.Outcome);
        Assert.True((await listener.Completion.WaitAsync(Patience)).IsOk);

        // The listener ends its span before it completes.
        return Assert.Single(_stopped, a => a.OperationName == "state-stream receive" && (string?)a.GetTagItem(MigrationTracing.MigrationAttribute) == migration.ToString());
    }

    private static async Task<byte[]> HelloPayloadAsync(string? traceParent)
    {
        var pipe = new Pipe();
        StateStreamProtocol.WriteHello(pipe.Writer, "token", "m-1", 7, traceParent);
        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var header = await StateStreamProtocol.ReadHeaderAsync(pipe.Reader, CancellationToken.None);
        Assert.Equal(FrameType.Hello, header!.Value.Type);
        return await StateStreamProtocol.ReadPayloadAsync(pipe.Reader, header.Value.Length, CancellationToken.None);
    }
}
