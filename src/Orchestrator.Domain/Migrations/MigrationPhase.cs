namespace Orchestrator.Domain.Migrations;

/// <summary>The phases of a migration (DESIGN.md §4), in protocol order; the arcs are <see cref="MigrationProtocol.Arcs"/>.</summary>
public enum MigrationPhase
{
    /// <summary>Nothing requested yet (an entity that has received no command).</summary>
    New,

    /// <summary>Checkpoint. Accepted; the target is not chosen yet.</summary>
    Requested,

    /// <summary>Checkpoint. Target chosen, compatibility checked, VF slot and migration slot reserved; then admitted.</summary>
    Placed,

    /// <summary>Checkpoint. Target VF created with the same kind and profile, in RESUMING.</summary>
    TargetPrepared,

    /// <summary>Source in PRE_COPY; rounds of dirty state streamed while the workload runs.</summary>
    PreCopying,

    /// <summary>Checkpoint, persisted before the source leaves RUNNING/PRE_COPY. Multi-VF: all to P2P first.</summary>
    SwitchoverStarted,

    /// <summary>Source STOP_COPY stream fully received, checksum verified.</summary>
    StateTransferred,

    /// <summary>Target RESUMING → STOP accepted the state.</summary>
    TargetLoaded,

    /// <summary>Checkpoint. The point of no return, persisted before the target runs.</summary>
    Committed,

    /// <summary>The target VF runs; downtime measured.</summary>
    TargetRunning,

    /// <summary>Checkpoint. Source VFs destroyed.</summary>
    SourceReleased,

    /// <summary>Checkpoint, terminal. Reservations released; the workload runs on the target.</summary>
    Completed,

    /// <summary>Checkpoint. Undoing: source back to RUNNING, target destroyed, reservations released.</summary>
    RollingBack,

    /// <summary>Checkpoint, terminal. The workload runs on the source; nothing is left behind.</summary>
    RolledBack,

    /// <summary>
    /// Checkpoint, terminal. Could go neither forward nor back (source lost during rollback, target lost or its state
    /// lost after Committed, retries exhausted); carries a <see cref="FailureCode"/>. Reservations are released; what
    /// is left on the devices is the reconciler's. Appended last so stored phase numbers keep their meaning.
    /// </summary>
    Failed,
}
