namespace Orchestrator.Domain.Pfs;

/// <summary>What a PF does with a migration command (<see cref="PfLedger{TReply}.Decide"/>).</summary>
public enum PfVerdict
{
    /// <summary>Run the step now (it holds the slots it needs).</summary>
    Run,

    /// <summary>Another step of the migration runs: join it (same step and epoch) or run after it.</summary>
    Wait,

    /// <summary>Wait for a migration slot, FIFO.</summary>
    Queue,

    /// <summary>Refuse without touching the device: a newer epoch was seen, or the migration ended and was cleaned.</summary>
    Fence,

    /// <summary>Answer the reply this step of this epoch already gave (idempotent retry).</summary>
    Replay,

    /// <summary>Refuse: another migration holds a VF the step needs.</summary>
    Refuse,
}
