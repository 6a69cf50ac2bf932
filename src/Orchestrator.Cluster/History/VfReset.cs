namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>vf-reset</c>: the VF was reset, which leaves the device in <c>RUNNING</c>. A reset that releases the VF from
/// its workload (the source VF after commit, before it is destroyed) sets <see cref="Detached"/>: the device runs
/// but hosts nothing, so it no longer counts as the workload running on that host.
/// </summary>
public sealed record VfReset : VfRecord
{
    /// <summary>State before the reset, if known.</summary>
    public string? From { get; init; }

    /// <summary>True when the reset unbinds the VF from its workload (release), false when the workload keeps it (recovery).</summary>
    public bool Detached { get; init; }
}
