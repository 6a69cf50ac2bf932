namespace Orchestrator.Domain.Migrations;

/// <summary>Why switchover started.</summary>
public enum SwitchoverReason
{
    /// <summary>Predicted downtime within the limit.</summary>
    Converged,

    /// <summary>A user forced it (ForceSwitchover).</summary>
    Forced,

    /// <summary>Not every source supports PRE_COPY: straight to stop-copy.</summary>
    NoPreCopy,

    /// <summary>Max rounds without convergence, and the policy forces switchover.</summary>
    RoundsExhausted,

    /// <summary>The completion timeout passed, and the policy forces switchover.</summary>
    TimedOut,
}
