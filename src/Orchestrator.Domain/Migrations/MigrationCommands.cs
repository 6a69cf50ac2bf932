using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Migrations;

/// <summary>
/// What can be asked of a migration. User commands carry no epoch; device outcomes carry the epoch of the action they
/// answer, and Decide rejects an older one (a stale incarnation) with a reason.
/// </summary>
public static class MigrationCommands
{
    /// <summary>Start a migration of <paramref name="SourceVfs"/> (all VFs of the workload that move together).</summary>
    public sealed record RequestMigration(
        MigrationId MigrationId,
        WorkloadId Workload,
        IReadOnlyList<VfId> SourceVfs,
        HostId? TargetHost = null,
        MigrationPolicy? Policy = null) : IMigrationCommand;

    /// <summary>Placement chose <paramref name="Target"/> (answers <see cref="MigrationActions.Place"/>).</summary>
    public sealed record RecordPlacement(MigrationId MigrationId, Epoch Epoch, PlacementTarget Target) : IMigrationCommand;

    /// <summary>The admission queue let it start (answers <see cref="MigrationActions.AwaitAdmission"/>).</summary>
    public sealed record RecordAdmitted(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Every target VF exists with the source's kind and profile, in RESUMING.</summary>
    public sealed record RecordTargetPrepared(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Every source is in PRE_COPY; <paramref name="StateBytes"/> is the estimated total device state.</summary>
    public sealed record RecordPreCopyStarted(MigrationId MigrationId, Epoch Epoch, long StateBytes) : IMigrationCommand;

    /// <summary>A pre-copy round finished (sums over the workload's VFs).</summary>
    /// <param name="MigrationId">The migration.</param>
    /// <param name="Epoch">The epoch of the action.</param>
    /// <param name="Round">1-based; must be the next round.</param>
    /// <param name="BytesTransferred">Bytes streamed in this round.</param>
    /// <param name="BytesRemaining">Bytes stop-copy would still move (stop-copy size + dirty bytes).</param>
    /// <param name="DirtyRateBytesPerSecond">Measured dirty rate.</param>
    /// <param name="BandwidthBytesPerSecond">Measured stream bandwidth.</param>
    /// <param name="StopLatency">Expected device stop latency (the source PF's measured arcs to STOP_COPY).</param>
    /// <param name="LoadLatency">Expected target load + start latency (the target PF's measured arcs).</param>
    /// <param name="TargetReady">The target acknowledged its initial data (switchover-ack).</param>
    /// <param name="SwitchoverOverhead">Expected control time inside the window (hops and the commit checkpoint).</param>
    public sealed record RecordPreCopyRound(
        MigrationId MigrationId,
        Epoch Epoch,
        int Round,
        long BytesTransferred,
        long BytesRemaining,
        double DirtyRateBytesPerSecond,
        double BandwidthBytesPerSecond,
        TimeSpan StopLatency,
        TimeSpan LoadLatency,
        bool TargetReady = true,
        TimeSpan SwitchoverOverhead = default) : IMigrationCommand;

    /// <summary>Switch over now if the last prediction is within the downtime limit (rejected otherwise, with the numbers).</summary>
    public sealed record StartSwitchover(MigrationId MigrationId) : IMigrationCommand;

    /// <summary>End pre-copy now and switch over whatever the prediction (user).</summary>
    public sealed record ForceSwitchover(MigrationId MigrationId) : IMigrationCommand;

    /// <summary>Every source is in a P2P state (multi-VF).</summary>
    public sealed record RecordSourcesQuiesced(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>The final state of every source was received by the target and its checksum verified.</summary>
    public sealed record RecordStateTransferred(MigrationId MigrationId, Epoch Epoch, long Bytes, string Checksum) : IMigrationCommand;

    /// <summary>Every target accepted its state (RESUMING → STOP).</summary>
    public sealed record RecordTargetLoaded(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Record the point of no return (answers <see cref="MigrationActions.Commit"/>).</summary>
    public sealed record RecordCommit(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Every target runs; <paramref name="MeasuredDowntime"/> if the executor measured it (else from the timeline).</summary>
    public sealed record RecordTargetRunning(MigrationId MigrationId, Epoch Epoch, TimeSpan? MeasuredDowntime = null) : IMigrationCommand;

    /// <summary>Every source VF was destroyed.</summary>
    public sealed record RecordSourceReleased(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>The reservations were freed in the directory (forward: completes; rollback: the last step).</summary>
    public sealed record RecordReservationsReleased(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Rollback: every source is RUNNING again.</summary>
    public sealed record RecordSourceResumed(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>Rollback: every target VF is destroyed.</summary>
    public sealed record RecordTargetDestroyed(MigrationId MigrationId, Epoch Epoch) : IMigrationCommand;

    /// <summary>
    /// The step of the current action failed. Before commit it rolls back; during rollback and after commit the step is
    /// retried (with backoff in the action) up to the policy's <c>MaxRetries</c>, then the migration is Failed; a
    /// <paramref name="Fault"/> no retry can mend (a missing VF, a lost device state) fails it at once.
    /// </summary>
    public sealed record ReportStepFailed(MigrationId MigrationId, MigrationStep Step, Epoch Epoch, string Reason, StepFault Fault = StepFault.Other)
        : IMigrationCommand;

    /// <summary>Abort (user): accepted until commit.</summary>
    public sealed record Abort(MigrationId MigrationId, string Reason = "aborted by user") : IMigrationCommand;

    /// <summary>
    /// Make sure a migration that was never requested never will be (a tombstone): accepted only in New, where it ends
    /// the migration RolledBack with code Aborted before anything ran; a RequestMigration that arrives later (a start
    /// whose caller gave up waiting, still on its way) is then refused. An evacuation's cancel withdraws the migrations
    /// it cannot find, so that "not found" means "will never run".
    /// </summary>
    public sealed record Withdraw(MigrationId MigrationId, WorkloadId Workload, string Reason) : IMigrationCommand;

    /// <summary>
    /// Change a running migration's downtime limit and bandwidth cap (as <c>virsh migrate-setmaxdowntime</c> and
    /// <c>migrate-setspeed</c> do): accepted until switchover starts; what is null stays, and
    /// <paramref name="ClearBandwidthCap"/> removes the cap. The next pre-copy round is judged and streamed under it.
    /// </summary>
    public sealed record ChangePolicy(MigrationId MigrationId, TimeSpan? DowntimeLimit, long? BandwidthCapBytesPerSecond, bool ClearBandwidthCap = false)
        : IMigrationCommand;

    /// <summary>Check timeouts against the <c>now</c> given to Decide.</summary>
    public sealed record Tick(MigrationId MigrationId) : IMigrationCommand;

    /// <summary>A new coordinator incarnation after a crash: advances the epoch, then rolls back or goes on.</summary>
    public sealed record Recover(MigrationId MigrationId) : IMigrationCommand;
}
