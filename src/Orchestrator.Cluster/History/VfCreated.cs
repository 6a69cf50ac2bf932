namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>vf-created</c>: a VF now exists on <see cref="VfLocatedRecord.Pf"/> (a target VF: created by <see cref="VfRecord.Migration"/>).
/// Also written by a node for every VF it finds at start-up, so that the checker knows where workloads already run.
/// </summary>
public sealed record VfCreated : VfRecord
{
    /// <summary>VF kind: <c>vfio</c> or <c>kernel</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Profile name.</summary>
    public required string Profile { get; init; }

    /// <summary>
    /// VFIO state the VF is in once created (a target VF: <c>RESUMING</c>). Null means <c>RUNNING</c>, the state a
    /// fresh or reset device is in, so a VF bound to a workload and created without a state runs that workload.
    /// </summary>
    public string? State { get; init; }
}
