namespace Orchestrator.Domain.Policies;

/// <summary>What to do when pre-copy has not converged after the policy's max rounds.</summary>
public enum NonConvergenceAction
{
    /// <summary>Switch over anyway, accepting more downtime than the limit.</summary>
    ForceSwitchover,

    /// <summary>Roll back: the workload stays on the source, the downtime limit is kept.</summary>
    Abort,

    /// <summary>Keep pre-copying (and waiting for the target's readiness) until the completion timeout, then roll back.</summary>
    KeepWaiting,
}
