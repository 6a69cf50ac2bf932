namespace Orchestrator.Devices.Simulation;

/// <summary>One pre-copy round as the source reported it.</summary>
/// <param name="Round">1-based round.</param>
/// <param name="Bytes">Bytes read and written in the round.</param>
/// <param name="InitialBytes">PRECOPY_INFO initial_bytes after the round.</param>
/// <param name="DirtyBytes">PRECOPY_INFO dirty_bytes after the round.</param>
/// <param name="StopCopyBytes">MIG_DATA_SIZE after the round: what a switchover now would still move.</param>
/// <param name="Duration">How long the round took.</param>
/// <param name="PredictedDowntime">Stop-copy bytes over measured bandwidth plus the device's stop, save, load and resume latencies.</param>
public sealed record LocalMigrationRound(
    int Round,
    long Bytes,
    long InitialBytes,
    long DirtyBytes,
    long StopCopyBytes,
    TimeSpan Duration,
    TimeSpan PredictedDowntime);
