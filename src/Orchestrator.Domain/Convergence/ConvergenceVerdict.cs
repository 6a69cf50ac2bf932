namespace Orchestrator.Domain.Convergence;

/// <summary>What to do after a pre-copy round.</summary>
public enum ConvergenceVerdict
{
    /// <summary>Run another round.</summary>
    Continue,

    /// <summary>Predicted downtime is within the limit (and the target is ready, or the ack wait is over): switch over.</summary>
    SwitchOver,

    /// <summary>Converged, but waiting for the target's readiness (switchover-ack) within the policy's wait.</summary>
    WaitForTarget,

    /// <summary>Not converged after max rounds or the completion timeout; the policy says force switchover.</summary>
    ForceSwitchover,

    /// <summary>Not converged; the policy says abort (or the completion timeout passed while keeping on waiting).</summary>
    Abort,
}
