using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>A workload held by one migration, from its request until it is terminal, with the source VFs it named.</summary>
public sealed record WorkloadClaim(MigrationId Migration, WorkloadId Workload, IReadOnlyList<VfId> SourceVfs, DateTimeOffset At);
