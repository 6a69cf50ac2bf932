namespace Orchestrator.Devices.Contract;

/// <summary>A device or PF command failed with an errno, as the kernel would report it.</summary>
public sealed class VfioException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VfioException(VfioErrno errno, string message)
        : base($"{errno}: {message}")
    {
        Errno = errno;
    }

    /// <summary>Creates the exception with no detail (for serializers and tools).</summary>
    public VfioException()
        : this(VfioErrno.EIO, "device command failed")
    {
    }

    /// <summary>Creates the exception with a message and EIO.</summary>
    public VfioException(string message)
        : this(VfioErrno.EIO, message)
    {
    }

    /// <summary>Creates the exception with a message, EIO and an inner exception.</summary>
    public VfioException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errno = VfioErrno.EIO;
    }

    /// <summary>The errno.</summary>
    public VfioErrno Errno { get; }
}
