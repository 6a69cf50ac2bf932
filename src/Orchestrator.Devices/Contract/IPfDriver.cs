namespace Orchestrator.Devices.Contract;

/// <summary>
/// The controlling-function contract: what a PF driver does for its VFs. A real backend (mlx5 firmware commands,
/// hisi_acc mailbox, pds adminq, virtio admin virtqueue, NVMe TP4159) and the simulated drivers implement the same
/// interface. Commands for the VFs of one PF are serialized by the caller (the PF actor), as they are on the PF's
/// command channel. A driver only ever takes one direct arc per <see cref="SetDeviceStateAsync"/>; walking a
/// multi-hop request is <see cref="VfioDevice.SetStateAsync"/>'s job, as it is the VFIO core's.
/// </summary>
public interface IPfDriver
{
    /// <summary>What the PF is.</summary>
    PfDescriptor Descriptor { get; }

    /// <summary>The VFs that exist now, by index.</summary>
    IReadOnlyList<VfDescriptor> ListVfs();

    /// <summary>Creates a VF with a kind and a profile; it starts RUNNING.</summary>
    /// <param name="kind">How the VF is bound.</param>
    /// <param name="profile">One of the PF's profiles.</param>
    /// <param name="index">A specific free index, or null for the lowest free one.</param>
    /// <param name="cancellationToken">Cancels the wait, not a command already sent.</param>
    /// <exception cref="VfioException">EBUSY when no VF slot is free or the index is taken; EINVAL for an unknown profile.</exception>
    Task<VfDescriptor> CreateVfAsync(VfKind kind, ProfileId profile, int? index = null, CancellationToken cancellationToken = default);

    /// <summary>Destroys a VF; any open data stream dies. Destroying a missing VF succeeds (idempotent).</summary>
    Task DestroyVfAsync(int vfIndex, CancellationToken cancellationToken = default);

    /// <summary>The VF's current VFIO state (MIG_DEVICE_STATE GET).</summary>
    /// <exception cref="VfioException">ENOENT for a missing VF.</exception>
    VfioDeviceState GetDeviceState(int vfIndex);

    /// <summary>
    /// Takes one direct arc. Returns the data stream the arc opens (→PRE_COPY from a non-saving state,
    /// STOP→STOP_COPY, STOP→RESUMING), otherwise null. RESUMING→STOP validates the written state and fails if it is
    /// incomplete, corrupt or from an incompatible device. A failed arc leaves the VF in ERROR.
    /// </summary>
    /// <exception cref="VfioException">EINVAL when the arc is not a direct arc of the flag set, or in ERROR; others from the device.</exception>
    Task<IVfioDataStream?> SetDeviceStateAsync(int vfIndex, VfioDeviceState next, CancellationToken cancellationToken = default);

    /// <summary>MIG_DATA_SIZE: the estimated bytes STOP_COPY still has to move; callable in any state.</summary>
    long GetStopCopySize(int vfIndex);

    /// <summary>The VF's compatibility data, as a target compares it.</summary>
    CompatibilityData GetCompatibilityData(int vfIndex);

    /// <summary>VFIO_DEVICE_RESET: kills any data stream and puts the VF in RUNNING; the only way out of ERROR.</summary>
    Task ResetAsync(int vfIndex, CancellationToken cancellationToken = default);
}
