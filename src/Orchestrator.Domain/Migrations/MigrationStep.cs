namespace Orchestrator.Domain.Migrations;

/// <summary>A step the executor runs for a migration (the step of a <see cref="MigrationAction"/>).</summary>
public enum MigrationStep
{
    /// <summary>Nothing to run.</summary>
    None,

    /// <summary>Choose the target (placement).</summary>
    Place,

    /// <summary>Wait for the admission queue.</summary>
    Admission,

    /// <summary>Create the target VFs and move them to RESUMING.</summary>
    PrepareTarget,

    /// <summary>Move the sources to PRE_COPY and start streaming.</summary>
    StartPreCopy,

    /// <summary>Stream one more pre-copy round and measure it.</summary>
    PreCopyRound,

    /// <summary>Move every source to RUNNING_P2P / PRE_COPY_P2P (multi-VF).</summary>
    QuiesceSources,

    /// <summary>Move every source to STOP_COPY and stream the final state with its checksum.</summary>
    StopAndCopy,

    /// <summary>Move every target RESUMING → STOP (validates the state).</summary>
    LoadTarget,

    /// <summary>Record the point of no return (no device command).</summary>
    Commit,

    /// <summary>Start every target (multi-VF: all to RUNNING_P2P, then all to RUNNING).</summary>
    StartTarget,

    /// <summary>Reset and destroy every source VF.</summary>
    ReleaseSource,

    /// <summary>Free the migration's reservations in the directory.</summary>
    ReleaseReservations,

    /// <summary>Rollback: move every source back to RUNNING (multi-VF: P2P first).</summary>
    ResumeSource,

    /// <summary>Rollback: destroy every target VF (destroying a missing VF succeeds).</summary>
    DestroyTarget,
}
