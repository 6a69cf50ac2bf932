namespace Orchestrator.Cluster.History;

/// <summary>
/// <c>leftover-cleaned</c>: a host's reconciler cleaned what an ended migration (or none) left behind. Informational:
/// the device and slot facts of the clean-up (<c>vf-destroyed</c>, <c>vf-state</c>, <c>slot</c>) are recorded as
/// they happen, and the checker judges those.
/// </summary>
public sealed record LeftoverCleanedRecord : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id, or null for a placement reservation.</summary>
    public string? Pf { get; init; }

    /// <summary>VF id, for a VF clean-up.</summary>
    public string? Vf { get; init; }

    /// <summary>The ended migration that left it; null for a VF no migration claimed.</summary>
    public string? Migration { get; init; }

    /// <summary>That migration's epoch as the reconciler knew it.</summary>
    public long? Epoch { get; init; }

    /// <summary><c>destroy-target</c>, <c>release-source</c>, <c>resume-source</c>, <c>free-slot</c> or <c>release-reservation</c>.</summary>
    public required string Action { get; init; }

    /// <summary>Why it was a leftover.</summary>
    public required string Reason { get; init; }
}
