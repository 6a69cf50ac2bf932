using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Policies;

/// <summary>A migration waiting to start, with the hosts and PFs it will load.</summary>
/// <param name="Migration">The migration.</param>
/// <param name="SourceHost">Its source host (outbound limit).</param>
/// <param name="TargetHost">Its target host (inbound limit).</param>
/// <param name="SourcePfs">Its source PFs (per-PF limit).</param>
/// <param name="TargetPfs">Its target PFs (per-PF limit).</param>
public sealed record AdmissionRequest(
    MigrationId Migration,
    HostId SourceHost,
    HostId TargetHost,
    IReadOnlyList<PfId> SourcePfs,
    IReadOnlyList<PfId> TargetPfs)
{
    /// <summary>Every PF it touches, once.</summary>
    public IReadOnlyList<PfId> Pfs => [.. SourcePfs.Concat(TargetPfs).Distinct()];
}
