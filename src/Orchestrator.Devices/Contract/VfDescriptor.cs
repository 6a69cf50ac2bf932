namespace Orchestrator.Devices.Contract;

/// <summary>A VF as its PF reports it now.</summary>
/// <param name="Index">VF index on its PF (the kernel's vf_id), 0-based.</param>
/// <param name="Kind">How it is bound.</param>
/// <param name="Profile">The profile it was created with.</param>
/// <param name="State">Its VFIO device state.</param>
public sealed record VfDescriptor(int Index, VfKind Kind, ProfileId Profile, VfioDeviceState State);
