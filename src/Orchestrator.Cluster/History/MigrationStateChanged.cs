namespace Orchestrator.Cluster.History;

/// <summary><c>migration-state</c>: the coordinator entered a protocol state (see <see cref="MigrationStates"/>).</summary>
public sealed record MigrationStateChanged : HistoryRecord
{
    /// <summary>Migration id, for example <c>m-7f3a</c>.</summary>
    public required string Migration { get; init; }

    /// <summary>Workload id, for example <c>vm-1</c>.</summary>
    public required string Workload { get; init; }

    /// <summary>Protocol state entered.</summary>
    public required string State { get; init; }

    /// <summary>Coordinator epoch (bumped by each incarnation of the coordinator).</summary>
    public required long Epoch { get; init; }

    /// <summary>Source host id.</summary>
    public required string SourceHost { get; init; }

    /// <summary>Target host id, once placed.</summary>
    public string? TargetHost { get; init; }

    /// <summary>Why (for <c>RollingBack</c> / <c>RolledBack</c> / <c>Failed</c>), or null.</summary>
    public string? Reason { get; init; }
}
