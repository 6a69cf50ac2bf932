namespace Orchestrator.Devices.Simulation;

/// <summary>How a driver model reports state that changed after it was read in PRE_COPY.</summary>
public enum PreCopyTracking
{
    /// <summary>Only the pages changed since they were read are sent again (mlx5 incremental SAVE with tracking).</summary>
    Incremental,

    /// <summary>
    /// No tracking: <c>dirty_bytes</c> is always 0 and STOP_COPY sends the whole state again (hisi_acc: PRE_COPY only
    /// ships the state early so the target checks the match block before downtime).
    /// </summary>
    InitialOnly,

    /// <summary>
    /// Any change after the context was read makes the whole context dirty again (virtio: the admin command has no
    /// incremental read, PRE_COPY rereads the full device context). Approximation: the re-read is reported as
    /// dirty bytes right away instead of after the driver's rate-limit interval.
    /// </summary>
    FullContext,
}
