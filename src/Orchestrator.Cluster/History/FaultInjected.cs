namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>fault</c>: the harness injected a fault. Written once with <see cref="End"/> when healed, or twice (at
/// injection without <see cref="End"/>, at healing with it) sharing an <see cref="Id"/>; the checker keeps the latest end.
/// </summary>
public sealed record FaultInjected : HistoryRecord
{
    /// <summary>Fault id, to pair the injection and healing records; null when the fault is written once.</summary>
    public string? Id { get; init; }

    /// <summary><c>kill</c>, <c>pause</c>, <c>partition</c>, <c>db</c>, <c>device</c>, ...</summary>
    public required string Kind { get; init; }

    /// <summary>What was hit: a node, a pair of nodes, the database, a VF or PF id.</summary>
    public required string Target { get; init; }

    /// <summary>When the fault started.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When it was healed (node restarted, resumed, partition removed, ...), or null while active.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Free text.</summary>
    public string? Detail { get; init; }
}
