namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>vf-reset</c>: the VF was reset, which leaves the device in <c>RUNNING</c>. A reset that releases the VF from
/// its workload (the source VF after commit, before it is destroyed) sets <see cref="Detached"/>: the device runs
/// but hosts nothing, so it no longer counts as the workload running on that host.
/// </summary>
public sealed record VfReset : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>VF id.</summary>
    public required string Vf { get; init; }

    /// <summary>The workload the VF served, or null.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration whose command reset it, or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of that command.</summary>
    public long? Epoch { get; init; }

    /// <summary>State before the reset, if known.</summary>
    public string? From { get; init; }

    /// <summary>True when the reset unbinds the VF from its workload (release), false when the workload keeps it (recovery).</summary>
    public bool Detached { get; init; }
}
