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

/// <summary>
/// The short names of <see cref="NonConvergenceAction"/>, one spelling for the API, the node's config
/// (<c>policy.non-convergence-action</c>) and the replicated migration views: <c>abort</c>, <c>force</c>, <c>wait</c>.
/// </summary>
public static class NonConvergenceActions
{
    /// <summary>The short name of <paramref name="action"/>.</summary>
    public static string Name(NonConvergenceAction action) => action switch
    {
        NonConvergenceAction.Abort => "abort",
        NonConvergenceAction.ForceSwitchover => "force",
        NonConvergenceAction.KeepWaiting => "wait",
        _ => action.ToString(),
    };

    private static readonly NonConvergenceAction[] All = Enum.GetValues<NonConvergenceAction>();

    /// <summary>The action a short name stands for (the inverse of <see cref="Name"/>), or null.</summary>
    /// <remarks>Read for every replicated migration view a node receives: no allocation per call.</remarks>
    public static NonConvergenceAction? Parse(string name)
    {
        foreach (var action in All)
        {
            if (Name(action) == name)
            {
                return action;
            }
        }

        return null;
    }
}
