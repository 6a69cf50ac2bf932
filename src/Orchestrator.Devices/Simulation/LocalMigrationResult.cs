using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>How a <see cref="LocalMigration"/> ended.</summary>
/// <param name="Succeeded">True when the target runs the state and the source was released.</param>
/// <param name="Failure">Why it rolled back, when it did.</param>
/// <param name="TargetVf">The target VF index (destroyed again on rollback), or -1 when none was created.</param>
/// <param name="SourcePath">Every state the source VF passed through, as the arcs were taken.</param>
/// <param name="TargetPath">Every state the target VF passed through.</param>
/// <param name="Rounds">Pre-copy rounds.</param>
/// <param name="PreCopyBytes">Bytes moved while the source ran.</param>
/// <param name="StopCopyBytes">Bytes moved while it was stopped.</param>
/// <param name="Downtime">From the first quiesce arc to the target running.</param>
/// <param name="Total">The whole migration.</param>
/// <param name="Saved">The stream the source saved, or null.</param>
/// <param name="Loaded">The stream the target loaded, or null.</param>
/// <param name="TargetStateDigest">The target's state digest right after the load, or null.</param>
public sealed record LocalMigrationResult(
    bool Succeeded,
    string? Failure,
    int TargetVf,
    IReadOnlyList<VfioDeviceState> SourcePath,
    IReadOnlyList<VfioDeviceState> TargetPath,
    IReadOnlyList<LocalMigrationRound> Rounds,
    long PreCopyBytes,
    long StopCopyBytes,
    TimeSpan Downtime,
    TimeSpan Total,
    StreamSummary? Saved,
    StreamSummary? Loaded,
    UInt128? TargetStateDigest)
{
    /// <summary>True when the target loaded exactly what the source saved: same checksum, same length, same state digest.</summary>
    public bool ChecksumsEqual =>
        Saved is not null && Loaded is not null && Saved.Checksum == Loaded.Checksum && Saved.Bytes == Loaded.Bytes &&
        Saved.StateDigest == Loaded.StateDigest && TargetStateDigest == Saved.StateDigest;
}
