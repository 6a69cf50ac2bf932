using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Reconciliation;

/// <summary>A VF as its PF shows it to the reconciler: read from the device, labelled by the host.</summary>
/// <param name="Vf">The VF.</param>
/// <param name="State">Its VFIO device state now.</param>
/// <param name="Workload">The workload the host labels it with, if any.</param>
/// <param name="Owner">The migration the PF says is using it now, if any.</param>
public sealed record ObservedVf(VfId Vf, VfioDeviceState State, WorkloadId? Workload, MigrationId? Owner);
