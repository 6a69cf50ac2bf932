namespace Orchestrator.Cluster.History;

/// <summary>What a <see cref="SlotChanged"/> did: <c>acquire</c> or <c>release</c>.</summary>
public enum SlotOp
{
    /// <summary>The migration took the slot.</summary>
    Acquire,

    /// <summary>The migration gave the slot back.</summary>
    Release,
}
