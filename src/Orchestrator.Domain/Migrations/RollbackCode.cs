namespace Orchestrator.Domain.Migrations;

/// <summary>
/// Why a migration rolled back (the workload runs on its source, nothing is left behind), so that a scheduler can
/// decide what to do next without parsing the reason text. Recorded on <see cref="MigrationEvents.RollbackStarted"/>.
/// </summary>
public enum RollbackCode
{
    /// <summary>Not recorded: a rollback journaled before codes existed, by no failed step.</summary>
    Unspecified,

    /// <summary>Aborted on request (<c>DELETE /migrations/{id}</c>, an evacuation's cancel).</summary>
    Aborted,

    /// <summary>No target could be placed or admitted (capacity, compatibility, a cordon, a claim refused).</summary>
    PlacementFailed,

    /// <summary>A step on the target failed: creating its VF, RESUMING, or loading the state.</summary>
    TargetFailed,

    /// <summary>A step on the source failed: PRE_COPY, the P2P quiesce.</summary>
    SourceFailed,

    /// <summary>Moving the state failed: a pre-copy round or the final STOP_COPY stream and its checksum.</summary>
    TransferFailed,

    /// <summary>Pre-copy could not get the predicted downtime under the limit, and the policy says abort.</summary>
    NonConvergence,

    /// <summary>The completion timeout passed, or no progress within the progress timeout.</summary>
    Timeout,

    /// <summary>Its coordinator recovered before Committed, and the state stream of the previous incarnation is gone.</summary>
    Interrupted,
}

/// <summary>How rollback codes are derived where none was recorded.</summary>
public static class RollbackCodes
{
    /// <summary>The code of a rollback caused by <paramref name="step"/> failing (Unspecified for no step).</summary>
    public static RollbackCode FromStep(MigrationStep step) => step switch
    {
        MigrationStep.Place or MigrationStep.Admission => RollbackCode.PlacementFailed,
        MigrationStep.PrepareTarget or MigrationStep.LoadTarget => RollbackCode.TargetFailed,
        MigrationStep.StartPreCopy or MigrationStep.QuiesceSources => RollbackCode.SourceFailed,
        MigrationStep.PreCopyRound or MigrationStep.StopAndCopy => RollbackCode.TransferFailed,
        _ => RollbackCode.Unspecified,
    };
}
