namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The PF commands a simulated driver issues, the unit of its latencies and of its fault hooks. A state arc maps to
/// one command (see <see cref="SimulatedPfDriver"/> for the mapping, modelled on mlx5 SUSPEND/RESUME/SAVE/LOAD_VHCA
/// and pds SUSPEND/RESUME/SAVE/RESTORE).
/// </summary>
public enum DeviceCommand
{
    /// <summary>Create a VF (SR-IOV enable of one function, profile applied).</summary>
    CreateVf,

    /// <summary>Destroy a VF.</summary>
    DestroyVf,

    /// <summary>VFIO_DEVICE_RESET.</summary>
    Reset,

    /// <summary>Quiesce: →RUNNING_P2P, →STOP, PRE_COPY→PRE_COPY_P2P (mlx5 SUSPEND_VHCA, pds SUSPEND, polled).</summary>
    Suspend,

    /// <summary>Un-quiesce: →RUNNING, STOP→RUNNING_P2P, PRE_COPY_P2P→PRE_COPY (mlx5 RESUME_VHCA, pds RESUME).</summary>
    Resume,

    /// <summary>Start or finish a save: arcs that open a saving stream or enter STOP_COPY (mlx5 SAVE_VHCA_STATE).</summary>
    Save,

    /// <summary>End a save session: STOP_COPY→STOP, PRE_COPY(_P2P)→RUNNING(_P2P) (mlx5 cleanup SAVE).</summary>
    EndSave,

    /// <summary>Prepare to receive: STOP→RESUMING.</summary>
    PrepareLoad,

    /// <summary>Load and validate: RESUMING→STOP (mlx5 LOAD_VHCA_STATE, pds RESTORE).</summary>
    Load,
}
