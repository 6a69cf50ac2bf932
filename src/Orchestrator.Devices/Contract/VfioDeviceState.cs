namespace Orchestrator.Devices.Contract;

/// <summary>
/// The device states of the VFIO migration uAPI v2 (<c>enum vfio_device_mig_state</c> in
/// <c>include/uapi/linux/vfio.h</c>), with the kernel's numeric values.
/// </summary>
public enum VfioDeviceState
{
    /// <summary>Failed. Never requestable; only a device reset leaves it (to <see cref="Running"/>).</summary>
    Error = 0,

    /// <summary>No DMA, no interrupts, no state change; still answers config space.</summary>
    Stop = 1,

    /// <summary>Fully operational.</summary>
    Running = 2,

    /// <summary>Stopped, and the saving data stream carries the final device state.</summary>
    StopCopy = 3,

    /// <summary>Stopped, and consumes a state stream written to the resuming data stream.</summary>
    Resuming = 4,

    /// <summary>Running, but initiates no new peer-to-peer DMA.</summary>
    RunningP2P = 5,

    /// <summary>Running, with a saving data stream open that tracks state changes.</summary>
    PreCopy = 6,

    /// <summary><see cref="PreCopy"/> with peer-to-peer quiescence.</summary>
    PreCopyP2P = 7,
}
