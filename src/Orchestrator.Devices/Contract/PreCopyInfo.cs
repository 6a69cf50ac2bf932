namespace Orchestrator.Devices.Contract;

/// <summary>The answer of <c>VFIO_MIG_GET_PRECOPY_INFO</c> on a saving data stream in PRE_COPY(_P2P).</summary>
/// <param name="InitialBytes">Initial state not read yet; never grows during a session.</param>
/// <param name="DirtyBytes">State changed since it was read; starts at 0.</param>
public readonly record struct PreCopyInfo(long InitialBytes, long DirtyBytes);
