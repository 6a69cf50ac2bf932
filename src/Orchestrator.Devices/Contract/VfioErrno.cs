namespace Orchestrator.Devices.Contract;

/// <summary>The errno values a VFIO device or its PF driver answers with.</summary>
public enum VfioErrno
{
    /// <summary>Invalid argument: refused state request, bad arc, wrong state for an ioctl.</summary>
    EINVAL = 22,

    /// <summary>No message: a PRE_COPY read found nothing new yet (temporary end of stream).</summary>
    ENOMSG = 42,

    /// <summary>The data stream is in error (mlx5: MIGF_STATE_ERROR).</summary>
    ENODEV = 19,

    /// <summary>The VF was detached from its PF.</summary>
    ENOTCONN = 107,

    /// <summary>A firmware command timed out (pds suspend poll).</summary>
    ETIMEDOUT = 110,

    /// <summary>Generic I/O failure of a firmware command.</summary>
    EIO = 5,

    /// <summary>Out of memory, or a record too large to load.</summary>
    ENOMEM = 12,

    /// <summary>Unsupported operation, or an unknown mandatory record in the state stream.</summary>
    EOPNOTSUPP = 95,

    /// <summary>The PF cannot take another VF or migration now.</summary>
    EBUSY = 16,

    /// <summary>No such VF.</summary>
    ENOENT = 2,

    /// <summary>No migration support (no migration ops).</summary>
    ENOTTY = 25,
}
