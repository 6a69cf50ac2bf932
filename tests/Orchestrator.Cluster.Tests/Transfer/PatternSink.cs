using System.Buffers;

namespace Orchestrator.Cluster.Tests.Transfer;

/// <summary>A sink that checks every byte against <see cref="StatePattern"/> at its offset, in O(chunk) memory.</summary>
internal sealed class PatternSink(ulong seed = 0)
{
    public long Received { get; private set; }

    /// <summary>Offset of the first byte that differed from the pattern, if any.</summary>
    public long? FirstMismatch { get; private set; }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var expected = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            var span = expected.AsSpan(0, data.Length);
            StatePattern.Fill(Received, span, seed);
            if (FirstMismatch is null && !span.SequenceEqual(data.Span))
            {
                FirstMismatch = Received + span.CommonPrefixLength(data.Span);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(expected);
        }

        Received += data.Length;
        return ValueTask.CompletedTask;
    }
}
