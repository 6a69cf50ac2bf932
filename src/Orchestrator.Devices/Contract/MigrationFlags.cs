namespace Orchestrator.Devices.Contract;

/// <summary>
/// The migration capability flags a device advertises (<c>struct vfio_device_feature_migration.flags</c>).
/// Only <c>StopCopy</c>, <c>StopCopy|P2P</c>, <c>StopCopy|PreCopy</c> and <c>StopCopy|P2P|PreCopy</c> are defined.
/// </summary>
[Flags]
public enum MigrationFlags : ulong
{
    /// <summary>No migration support (no migration ops: the feature GET answers ENOTTY).</summary>
    None = 0,

    /// <summary>STOP, STOP_COPY and RESUMING are supported. Mandatory.</summary>
    StopCopy = 1,

    /// <summary>RUNNING_P2P is supported.</summary>
    P2P = 2,

    /// <summary>PRE_COPY is supported (and PRE_COPY_P2P with <see cref="P2P"/>).</summary>
    PreCopy = 4,
}
