namespace Orchestrator.Cluster.History;

/// <summary><c>slot</c>: a migration acquired or released a per-PF VF or migration slot.</summary>
public sealed record SlotChanged : HistoryRecord
{
    /// <summary>Host id.</summary>
    public required string Host { get; init; }

    /// <summary>PF id.</summary>
    public required string Pf { get; init; }

    /// <summary>Migration id.</summary>
    public required string Migration { get; init; }

    /// <summary>Epoch of the command, if any.</summary>
    public long? Epoch { get; init; }

    /// <summary><c>acquire</c> or <c>release</c>.</summary>
    public required SlotOp Op { get; init; }

    /// <summary><c>vf</c> or <c>migration</c>.</summary>
    public required SlotKind Kind { get; init; }
}
