namespace Orchestrator.Cluster.History;

/// <summary><c>vf-destroyed</c>: the VF no longer exists.</summary>
public sealed record VfDestroyed : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>VF id.</summary>
    public required string Vf { get; init; }

    /// <summary>The workload the VF served, or null.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration whose command destroyed it, or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of that command.</summary>
    public long? Epoch { get; init; }
}
