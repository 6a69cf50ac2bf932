using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Migrations;

/// <summary>
/// What happened to a migration, past tense. Checkpoints (<see cref="ICheckpointEvent"/>) must be persisted before
/// the next device step. Each carries what recovery needs: epoch, VFs, reservations, reason, time.
/// </summary>
public static class MigrationEvents
{
    /// <summary>Checkpoint: accepted.</summary>
    public sealed record MigrationRequested(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        WorkloadId Workload,
        IReadOnlyList<VfId> SourceVfs,
        HostId? RequestedTarget,
        MigrationPolicy Policy) : ICheckpointEvent;

    /// <summary>Checkpoint: target chosen; <paramref name="Reservations"/> held until the migration ends.</summary>
    public sealed record MigrationPlaced(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        PlacementTarget Target,
        IReadOnlyList<Reservation> Reservations) : ICheckpointEvent;

    /// <summary>The admission queue let it start.</summary>
    public sealed record MigrationAdmitted(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At) : IMigrationEvent;

    /// <summary>Checkpoint: target VFs created, in RESUMING.</summary>
    public sealed record TargetPrepared(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, IReadOnlyList<VfPlacement> Vfs) : ICheckpointEvent;

    /// <summary>Sources in PRE_COPY.</summary>
    public sealed record PreCopyStarted(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, long StateBytes) : IMigrationEvent;

    /// <summary>A pre-copy round was measured and judged.</summary>
    public sealed record PreCopyRoundRecorded(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, PreCopySample Sample) : IMigrationEvent;

    /// <summary>Checkpoint, persisted before any source leaves RUNNING/PRE_COPY.</summary>
    public sealed record SwitchoverStarted(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        SwitchoverReason Reason,
        string Detail,
        IReadOnlyList<VfPlacement> Vfs) : ICheckpointEvent;

    /// <summary>Every source reached a P2P state.</summary>
    public sealed record SourcesQuiesced(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At) : IMigrationEvent;

    /// <summary>The final state was received and verified.</summary>
    public sealed record StateTransferred(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, long Bytes, string Checksum) : IMigrationEvent;

    /// <summary>The target accepted the state.</summary>
    public sealed record TargetLoaded(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At) : IMigrationEvent;

    /// <summary>Checkpoint: the point of no return, persisted before the target runs.</summary>
    public sealed record MigrationCommitted(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, IReadOnlyList<VfPlacement> Vfs) : ICheckpointEvent;

    /// <summary>The target runs (phase TargetRunning).</summary>
    public sealed record TargetStarted(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, TimeSpan Downtime) : IMigrationEvent;

    /// <summary>Checkpoint: source VFs destroyed.</summary>
    public sealed record SourceReleased(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, IReadOnlyList<VfId> SourceVfs) : ICheckpointEvent;

    /// <summary>Checkpoint, terminal: done; <paramref name="ReleasedReservations"/> are free.</summary>
    public sealed record MigrationCompleted(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        IReadOnlyList<Reservation> ReleasedReservations) : ICheckpointEvent;

    /// <summary>
    /// Checkpoint: rollback began, from <paramref name="FromPhase"/>, with the <paramref name="Steps"/> to undo.
    /// <paramref name="Code"/> came after <c>RollbackStarted.v1</c> was first written: it is stored only when not
    /// Unspecified, so an event without one keeps the bytes earlier versions wrote and read.
    /// </summary>
    public sealed record RollbackStarted(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        string Reason,
        MigrationStep FailedStep,
        MigrationPhase FromPhase,
        IReadOnlyList<MigrationStep> Steps,
        IReadOnlyList<VfPlacement> Vfs,
        IReadOnlyList<Reservation> Reservations,
        RollbackCode Code = RollbackCode.Unspecified) : ICheckpointEvent;

    /// <summary>A rollback step is done.</summary>
    public sealed record RollbackStepCompleted(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, MigrationStep Step) : IMigrationEvent;

    /// <summary>Checkpoint, terminal: rolled back; the workload runs on the source.</summary>
    public sealed record MigrationRolledBack(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        string Reason,
        IReadOnlyList<Reservation> ReleasedReservations) : ICheckpointEvent;

    /// <summary>
    /// Checkpoint, terminal: the migration could go neither forward nor back. <paramref name="Step"/> could not finish,
    /// from <paramref name="FromPhase"/>; <paramref name="Reservations"/> were held and are to be released.
    /// </summary>
    public sealed record MigrationFailed(
        MigrationId MigrationId,
        Epoch Epoch,
        DateTimeOffset At,
        FailureCode Code,
        string Reason,
        MigrationStep Step,
        MigrationPhase FromPhase,
        IReadOnlyList<Reservation> Reservations) : ICheckpointEvent;

    /// <summary>
    /// Checkpoint, terminal: withdrawn before it was requested (<see cref="MigrationCommands.Withdraw"/>); nothing ran
    /// and nothing was held, and the id can never start. Shown as RolledBack with code Aborted.
    /// </summary>
    public sealed record MigrationWithdrawn(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, WorkloadId Workload, string Reason) : ICheckpointEvent;

    /// <summary>The policy changed while the migration ran (<see cref="MigrationCommands.ChangePolicy"/>): the whole new policy.</summary>
    public sealed record PolicyChanged(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, MigrationPolicy Policy) : IMigrationEvent;

    /// <summary>A step failed or timed out after commit or during rollback; it will be re-issued.</summary>
    public sealed record StepRetried(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, MigrationStep Step, int Attempt, string Reason) : IMigrationEvent;

    /// <summary>Checkpoint: a new coordinator incarnation took over with <paramref name="Epoch"/>.</summary>
    public sealed record MigrationRecovered(MigrationId MigrationId, Epoch Epoch, DateTimeOffset At, MigrationPhase Phase) : ICheckpointEvent;
}
