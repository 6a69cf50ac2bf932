using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;

namespace Orchestrator.Domain.Migrations;

/// <summary>The concrete <see cref="MigrationAction"/>s, and the command that answers each.</summary>
public static class MigrationActions
{
    /// <summary>Waiting for something that is not a step (a round in flight is not waiting: see ContinuePreCopy).</summary>
    public sealed record None(MigrationId MigrationId, Epoch Epoch, string Why) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.None;
    }

    /// <summary>Run placement; answer RecordPlacement, or ReportStepFailed(Place) with the rejections.</summary>
    public sealed record Place(MigrationId MigrationId, Epoch Epoch, PlacementRequest Request) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.Place;
    }

    /// <summary>Enqueue in the admission queue (idempotent by id); answer RecordAdmitted when it may start.</summary>
    public sealed record AwaitAdmission(
        MigrationId MigrationId,
        Epoch Epoch,
        HostId SourceHost,
        HostId TargetHost,
        IReadOnlyList<PfId> SourcePfs,
        IReadOnlyList<PfId> TargetPfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.Admission;
    }

    /// <summary>Create each target VF (its index, kind, profile) and move it to RESUMING; answer RecordTargetPrepared.</summary>
    public sealed record PrepareTarget(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.PrepareTarget;
    }

    /// <summary>Move every source to PRE_COPY, open the streams; answer RecordPreCopyStarted.</summary>
    public sealed record StartPreCopy(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.StartPreCopy;
    }

    /// <summary>Stream round <paramref name="Round"/> and measure it; answer RecordPreCopyRound.</summary>
    public sealed record ContinuePreCopy(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs, int Round) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.PreCopyRound;
    }

    /// <summary>Move every source to RUNNING_P2P / PRE_COPY_P2P, none further; answer RecordSourcesQuiesced.</summary>
    public sealed record QuiesceSources(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.QuiesceSources;
    }

    /// <summary>Move every source to STOP_COPY (kernel path), stream the final state, verify; answer RecordStateTransferred.</summary>
    public sealed record StopAndCopy(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.StopAndCopy;
    }

    /// <summary>Move every target RESUMING → STOP; answer RecordTargetLoaded.</summary>
    public sealed record LoadTarget(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.LoadTarget;
    }

    /// <summary>No device command: Decide Commit (persisted before any target runs).</summary>
    public sealed record Commit(MigrationId MigrationId, Epoch Epoch) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.Commit;
    }

    /// <summary>Start every target (multi-VF: all RUNNING_P2P, then all RUNNING); answer RecordTargetRunning.</summary>
    public sealed record StartTarget(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs, bool P2PFirst) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.StartTarget;
    }

    /// <summary>Reset and destroy every source VF (never run it again); answer RecordSourceReleased.</summary>
    public sealed record ReleaseSource(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.ReleaseSource;
    }

    /// <summary>Free these reservations and the admission entry; answer RecordReservationsReleased.</summary>
    public sealed record ReleaseReservations(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<Reservation> Reservations) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.ReleaseReservations;
    }

    /// <summary>Rollback: every source back to RUNNING (multi-VF: all RUNNING_P2P first); answer RecordSourceResumed.</summary>
    public sealed record ResumeSource(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs, bool P2PFirst) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.ResumeSource;
    }

    /// <summary>Rollback: destroy every target VF (missing is fine); answer RecordTargetDestroyed.</summary>
    public sealed record DestroyTarget(MigrationId MigrationId, Epoch Epoch, IReadOnlyList<VfPlacement> Vfs) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.DestroyTarget;
    }

    /// <summary>Terminal: nothing more to do.</summary>
    public sealed record Done(MigrationId MigrationId, Epoch Epoch, MigrationPhase Outcome, string? Reason) : MigrationAction(MigrationId, Epoch)
    {
        /// <inheritdoc />
        public override MigrationStep Step => MigrationStep.None;
    }
}
