namespace Orchestrator.Cluster.History;

/// <summary><c>vf-state</c>: the device accepted a VFIO state change (kernel names: <c>RUNNING</c>, <c>PRE_COPY_P2P</c>, <c>ERROR</c>, ...).</summary>
public sealed record VfStateChanged : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>VF id.</summary>
    public required string Vf { get; init; }

    /// <summary>The workload the VF serves; when given it (re)binds the VF to that workload.</summary>
    public string? Workload { get; init; }

    /// <summary>The migration whose command changed the state, or null.</summary>
    public string? Migration { get; init; }

    /// <summary>Epoch of that command.</summary>
    public long? Epoch { get; init; }

    /// <summary>State before.</summary>
    public required string From { get; init; }

    /// <summary>State after.</summary>
    public required string To { get; init; }
}
