namespace Orchestrator.Cluster.History;

/// <summary><c>reservation</c>: placement reserved, or released, capacity for a migration on a target host / PF.</summary>
public sealed record ReservationChanged : HistoryRecord
{
    /// <summary>Migration id.</summary>
    public required string Migration { get; init; }

    /// <summary>Reserved host id.</summary>
    public required string Host { get; init; }

    /// <summary>Reserved PF id, or null for a host-level reservation.</summary>
    public string? Pf { get; init; }

    /// <summary>Epoch of the coordinator, if any.</summary>
    public long? Epoch { get; init; }

    /// <summary><c>reserve</c> or <c>release</c>.</summary>
    public required ReservationOp Op { get; init; }
}
