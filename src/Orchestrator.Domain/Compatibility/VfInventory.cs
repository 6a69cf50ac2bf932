using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Compatibility;

/// <summary>A VF as the inventory last saw it.</summary>
/// <param name="Id">The VF.</param>
/// <param name="Kind">How it is bound.</param>
/// <param name="Profile">The profile it was created with.</param>
/// <param name="Workload">The workload that holds it, if any.</param>
/// <param name="State">Its VFIO device state.</param>
public sealed record VfInventory(VfId Id, VfKind Kind, ProfileId Profile, WorkloadId? Workload, VfioDeviceState State);
