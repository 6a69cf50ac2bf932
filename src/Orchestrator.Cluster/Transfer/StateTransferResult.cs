namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// What one side saw of a state transfer. Counts and checksum are cumulative over all segments sent on the
/// connection so far; elapsed runs from the accepted handshake.
/// </summary>
/// <param name="Outcome">How it ended; <see cref="StateTransferOutcome.Ok"/> only when the receiver verified it.</param>
/// <param name="Detail">Human-readable reason for a failure (null when ok).</param>
/// <param name="Bytes">Payload bytes this side sent or received.</param>
/// <param name="Checksum">XxHash128 of those payload bytes, as this side computed it.</param>
/// <param name="Elapsed">Time from the accepted handshake to this result (measured with the side's TimeProvider).</param>
/// <param name="Segments">Segments (End frames) completed, including a failing one.</param>
public sealed record StateTransferResult(
    StateTransferOutcome Outcome,
    string? Detail,
    long Bytes,
    UInt128 Checksum,
    TimeSpan Elapsed,
    int Segments)
{
    /// <summary>True when the receiver verified length and checksum and the sink took every byte.</summary>
    public bool IsOk => Outcome == StateTransferOutcome.Ok;

    /// <summary>The checksum as 32 lowercase hex digits, for logs and persisted events.</summary>
    public string ChecksumHex => Checksum.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Throughput in MiB/s (0 when no time elapsed).</summary>
    public double MebibytesPerSecond => Elapsed > TimeSpan.Zero ? Bytes / 1048576.0 / Elapsed.TotalSeconds : 0;
}
