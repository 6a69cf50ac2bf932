using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>Where can these VFs of a workload go?</summary>
/// <param name="Workload">The workload.</param>
/// <param name="SourceVfs">All its VFs that migrate together (one host).</param>
/// <param name="TargetHost">A requested target host, or null to let placement choose.</param>
public sealed record PlacementRequest(WorkloadId Workload, IReadOnlyList<VfId> SourceVfs, HostId? TargetHost = null);
