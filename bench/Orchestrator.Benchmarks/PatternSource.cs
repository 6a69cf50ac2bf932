namespace Orchestrator.Benchmarks;

/// <summary>A state stream's source for the data-plane benchmarks: a static pattern handed out until the count is sent.</summary>
internal static class PatternSource
{
    public static Func<Memory<byte>, CancellationToken, ValueTask<int>> Of(byte[] pattern, long bytes)
    {
        var left = bytes;
        return (buffer, _) =>
        {
            var n = (int)Math.Min(Math.Min(buffer.Length, pattern.Length), left);
            pattern.AsSpan(0, n).CopyTo(buffer.Span);
            left -= n;
            return ValueTask.FromResult(n);
        };
    }
}
