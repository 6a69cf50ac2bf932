namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>vf-created</c>: a VF now exists on <see cref="Pf"/>. Also written by a node for every VF it finds at start-up,
/// so that the checker knows where workloads already run.
/// </summary>
public sealed record VfCreated : HistoryRecord
{
    /// <summary>Host id, for example <c>host-a</c>.</summary>
    public required string Host { get; init; }

    /// <summary>PF id, for example <c>host-a/0000:3b:00.0</c>.</summary>
    public required string Pf { get; init; }

    /// <summary>VF id, for example <c>host-a/0000:3b:00.0/vf3</c>.</summary>
    public required string Vf { get; init; }

    /// <summary>VF kind: <c>vfio</c> or <c>kernel</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Profile name.</summary>
    public required string Profile { get; init; }

    /// <summary>The workload the VF serves, or null for an unassigned VF.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration that created it (a target VF), or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of the command that created it, with <see cref="Migration"/>.</summary>
    public long? Epoch { get; init; }

    /// <summary>
    /// VFIO state the VF is in once created (a target VF: <c>RESUMING</c>). Null means <c>RUNNING</c>, the state a
    /// fresh or reset device is in, so a VF bound to a workload and created without a state runs that workload.
    /// </summary>
    public string? State { get; init; }
}
