namespace Orchestrator.Cluster.History;

/// <summary>
/// A record of a change to one VF: where the VF is, the workload it serves, and the migration command (with its
/// epoch) that caused the change, if one did.
/// </summary>
public abstract record VfRecord : VfLocatedRecord
{
    /// <summary>The workload the VF serves (or served), or null for an unassigned VF.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration whose command caused the change, or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of that command, with <see cref="Migration"/>.</summary>
    public long? Epoch { get; init; }
}
