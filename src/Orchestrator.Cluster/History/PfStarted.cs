namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>pf-started</c>: a PF actor started (node start or restart). Migration slots live in the PF actor's memory, so a
/// new incarnation holds none: every slot an earlier incarnation of this PF held is free from here on.
/// </summary>
public sealed record PfStarted : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }
}
