namespace Orchestrator.Domain.Convergence;

/// <summary>What a pre-copy round measured, with what the decision needs to know about the migration so far.</summary>
/// <param name="Round">The round just finished, 1-based.</param>
/// <param name="RemainingBytes">Bytes the stop-copy phase would still move now (stop-copy size + dirty bytes).</param>
/// <param name="BandwidthBytesPerSecond">Measured throughput of the state stream.</param>
/// <param name="DirtyRateBytesPerSecond">How fast the device dirties state while running.</param>
/// <param name="StopLatency">How long the device takes to stop (to STOP_COPY).</param>
/// <param name="LoadLatency">How long the target takes to load (RESUMING → STOP) and start.</param>
/// <param name="Elapsed">Time since pre-copy started.</param>
/// <param name="CompletionTimeout">The policy's completion timeout for this migration's state size.</param>
/// <param name="TargetReady">Whether the target has acknowledged readiness (switchover-ack).</param>
/// <param name="ConvergedFor">How long the prediction has been within the limit while waiting for the target; null if not waiting.</param>
/// <param name="SwitchoverOverhead">
/// The orchestrator's own part of the window: the hops between the switchover steps and the checkpoint written
/// before the target starts, as measured on this migration's earlier steps.
/// </param>
public sealed record ConvergenceInput(
    int Round,
    long RemainingBytes,
    double BandwidthBytesPerSecond,
    double DirtyRateBytesPerSecond,
    TimeSpan StopLatency,
    TimeSpan LoadLatency,
    TimeSpan Elapsed,
    TimeSpan CompletionTimeout,
    bool TargetReady = true,
    TimeSpan? ConvergedFor = null,
    TimeSpan SwitchoverOverhead = default);
