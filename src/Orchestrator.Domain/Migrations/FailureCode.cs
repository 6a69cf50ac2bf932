namespace Orchestrator.Domain.Migrations;

/// <summary>
/// Why a migration ended <see cref="MigrationPhase.Failed"/>: it could go neither forward to Completed nor back to
/// RolledBack. What is left (VFs, the workload's device) is for the host reconciler and the operator.
/// </summary>
public enum FailureCode
{
    /// <summary>During rollback the source VF no longer exists (ENOENT): there is nothing to resume.</summary>
    SourceLost,

    /// <summary>After Committed the target VF no longer exists (ENOENT): there is nothing to start.</summary>
    TargetLost,

    /// <summary>
    /// After Committed the target VF had to be reset to run: the device state it loaded is gone, so the workload's
    /// device does not run with the migrated state anywhere.
    /// </summary>
    TargetStateLost,

    /// <summary>A step during rollback or after Committed failed or stalled more than the policy's <c>MaxRetries</c> times.</summary>
    RetriesExhausted,
}
