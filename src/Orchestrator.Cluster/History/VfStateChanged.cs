namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>vf-state</c>: the device accepted a VFIO state change (kernel names: <c>RUNNING</c>, <c>PRE_COPY_P2P</c>,
/// <c>ERROR</c>, ...). A <see cref="VfRecord.Workload"/> given here (re)binds the VF to that workload.
/// </summary>
public sealed record VfStateChanged : VfRecord
{
    /// <summary>State before.</summary>
    public required string From { get; init; }

    /// <summary>State after.</summary>
    public required string To { get; init; }
}
