namespace Orchestrator.Cluster.History;

/// <summary>Which per-PF limit a <see cref="SlotChanged"/> counts against: <c>vf</c> or <c>migration</c>.</summary>
public enum SlotKind
{
    /// <summary>A VF slot (the PF's number of VFs).</summary>
    Vf,

    /// <summary>A migration slot (the PF's concurrent-migration limit).</summary>
    Migration,
}
