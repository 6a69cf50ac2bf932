using Orchestrator.Domain.Convergence;

namespace Orchestrator.Domain.Migrations;

/// <summary>One pre-copy round, kept in the state so an ended migration still shows its curve.</summary>
/// <param name="Round">1-based.</param>
/// <param name="BytesTransferred">Bytes streamed in this round.</param>
/// <param name="BytesRemaining">Bytes the stop-copy phase would still move.</param>
/// <param name="DirtyRateBytesPerSecond">Measured dirty rate.</param>
/// <param name="BandwidthBytesPerSecond">Measured stream bandwidth.</param>
/// <param name="PredictedDowntime">The prediction after this round.</param>
/// <param name="Verdict">What the convergence decision said.</param>
/// <param name="At">When the round was recorded.</param>
public sealed record PreCopySample(
    int Round,
    long BytesTransferred,
    long BytesRemaining,
    double DirtyRateBytesPerSecond,
    double BandwidthBytesPerSecond,
    TimeSpan PredictedDowntime,
    ConvergenceVerdict Verdict,
    DateTimeOffset At);
