using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Migrations;

/// <summary>
/// One migration, as pure functions: <see cref="Decide"/> (command → events, or a rejection with a reason; never
/// throws), <see cref="Apply"/> (event → state; throws only on an impossible event), <see cref="NextAction"/> (what
/// the executor must do now, as data). Checkpoints are marked <c>*</c>; every arc is in <see cref="MigrationProtocol.Arcs"/>.
/// <code>
///  New ─RequestMigration─► Requested* ─RecordPlacement─► Placed* ─RecordAdmitted─┐
///                                                          │      (still Placed) ◄┘
///                                                          └─RecordTargetPrepared─► TargetPrepared*
///        no PRE_COPY on every source ┌──────────────────────────────────────────────────┤
///                                    │                     RecordPreCopyStarted ─► PreCopying ◄─┐ RecordPreCopyRound
///                                    ▼                        converged / forced / rounds ──┤ └──┘ (continue)
///                            SwitchoverStarted* ◄──────────────────────────────────────────┘
///            (multi-VF: RecordSourcesQuiesced first: every source in P2P before any stops)
///                                    │ RecordStateTransferred
///                                    ▼
///                            StateTransferred ─RecordTargetLoaded─► TargetLoaded ─Commit─► Committed*  (no return)
///                                                                                              │ RecordTargetRunning
///            Completed* ◄─RecordReservationsReleased─ SourceReleased* ◄─RecordSourceReleased─ TargetRunning
///
///  any phase Requested … TargetLoaded ─(failure | Abort | timeout | Recover after TargetPrepared)─► RollingBack*
///  RollingBack*: ResumeSource → DestroyTarget → ReleaseReservations (those needed) ─► RolledBack*
///  after Committed: failures and timeouts retry the step (StepRetried, backoff); never RollingBack.
///  RollingBack, Committed … SourceReleased ─(attempt > MaxRetries | VF missing | target state lost)─► Failed*
/// </code>
/// Recovery (a new incarnation, <see cref="MigrationCommands.Recover"/>): the epoch advances; Requested and Placed go
/// on (no stream exists yet; PrepareTarget names the target VF index so repeating it is safe); TargetPrepared …
/// TargetLoaded roll back (a state stream may be open and belongs to the dead incarnation; the source has not run
/// anywhere else, so resuming it is always safe); Committed and later go forward; RollingBack goes on rolling back.
/// </summary>
public sealed partial record MigrationState
{
    private MigrationState(MigrationId id) => Id = id;

    /// <summary>The migration.</summary>
    public MigrationId Id { get; }

    /// <summary>Where it is.</summary>
    public MigrationPhase Phase { get; private init; }

    /// <summary>The coordinator incarnation; advances on every recovery, never decreases.</summary>
    public Epoch Epoch { get; private init; }

    /// <summary>The workload that moves.</summary>
    public WorkloadId Workload { get; private init; }

    /// <summary>All its VFs that move together.</summary>
    public IReadOnlyList<VfId> SourceVfs { get; private init; } = [];

    /// <summary>The host it runs on before the migration.</summary>
    public HostId? SourceHost => Placement?.SourceHost ?? (SourceVfs.Count > 0 ? SourceVfs[0].Host : null);

    /// <summary>The target host asked for, if any.</summary>
    public HostId? RequestedTarget { get; private init; }

    /// <summary>The policy.</summary>
    public MigrationPolicy Policy { get; private init; } = MigrationPolicy.Default;

    /// <summary>The placement, once placed.</summary>
    public PlacementTarget? Placement { get; private init; }

    /// <summary>Source and target VFs (empty before placement).</summary>
    public IReadOnlyList<VfPlacement> Vfs => Placement?.Vfs ?? [];

    /// <summary>What it holds; non-empty exactly from placement until it ends.</summary>
    public IReadOnlyList<Reservation> Reservations { get; private init; } = [];

    /// <summary>Whether the admission queue let it start.</summary>
    public bool Admitted { get; private init; }

    /// <summary>Whether every source is in a P2P state (multi-VF switchover).</summary>
    public bool SourcesQuiesced { get; private init; }

    /// <summary>Whether several VFs move (P2P quiescing applies).</summary>
    public bool IsMultiVf => SourceVfs.Count > 1;

    /// <summary>Whether every source supports PRE_COPY (else switchover follows TargetPrepared directly).</summary>
    public bool UsesPreCopy => Vfs.Count > 0 && Vfs.All(v => v.SourceFlags.HasFlag(MigrationFlags.PreCopy));

    /// <summary>Estimated device state size (for the completion timeout).</summary>
    public long StateBytes { get; private init; }

    /// <summary>Pre-copy rounds, in order; kept after the migration ends.</summary>
    public IReadOnlyList<PreCopySample> Rounds { get; private init; } = [];

    /// <summary>The latest downtime prediction, or null before the first round.</summary>
    public TimeSpan? PredictedDowntime => Rounds.Count > 0 ? Rounds[^1].PredictedDowntime : null;

    /// <summary>When the prediction first met the limit while waiting for the target's readiness.</summary>
    public DateTimeOffset? ConvergedAt { get; private init; }

    /// <summary>Why switchover started.</summary>
    public SwitchoverReason? SwitchoverReason { get; private init; }

    /// <summary>Bytes of final state transferred and their checksum.</summary>
    public (long Bytes, string Checksum)? FinalState { get; private init; }

    /// <summary>The downtime measured at TargetRunning.</summary>
    public TimeSpan? MeasuredDowntime { get; private init; }

    /// <summary>When it was requested.</summary>
    public DateTimeOffset? RequestedAt { get; private init; }

    /// <summary>When the last step completed (progress timeout baseline).</summary>
    public DateTimeOffset? LastProgressAt { get; private init; }

    /// <summary>When pre-copy started.</summary>
    public DateTimeOffset? PreCopyStartedAt { get; private init; }

    /// <summary>When switchover started.</summary>
    public DateTimeOffset? SwitchoverStartedAt { get; private init; }

    /// <summary>When it committed.</summary>
    public DateTimeOffset? CommittedAt { get; private init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndedAt { get; private init; }

    /// <summary>Withdrawn before it was requested (<see cref="MigrationCommands.Withdraw"/>): nothing ran, it never will.</summary>
    public bool Withdrawn { get; private init; }

    /// <summary>Why it rolls back or rolled back.</summary>
    public string? RollbackReason { get; private init; }

    /// <summary>
    /// Why it rolls back or rolled back, as a code; for a rollback journaled before codes were, derived from the failed
    /// step (Unspecified when there was none).
    /// </summary>
    public RollbackCode? RollbackCode { get; private init; }

    /// <summary>The step whose failure started the rollback (None for abort, timeout or recovery).</summary>
    public MigrationStep? FailedStep { get; private init; }

    /// <summary>The phase rollback started from.</summary>
    public MigrationPhase? RollbackFrom { get; private init; }

    /// <summary>Rollback steps still to do, in order.</summary>
    public IReadOnlyList<MigrationStep> PendingRollbackSteps { get; private init; } = [];

    /// <summary>Why it failed, once <see cref="MigrationPhase.Failed"/>.</summary>
    public FailureCode? FailureCode { get; private init; }

    /// <summary>What failed, in words, once <see cref="MigrationPhase.Failed"/>.</summary>
    public string? FailureReason { get; private init; }

    /// <summary>Retry count of the current step (after commit or during rollback); 0 on a first try.</summary>
    public int Attempt { get; private init; }

    /// <summary>The last failure of a retried step.</summary>
    public string? LastError { get; private init; }

    /// <summary>Every phase entered, with when, in order.</summary>
    public IReadOnlyList<(MigrationPhase Phase, DateTimeOffset At)> Timeline { get; private init; } = [];

    /// <summary>Whether it has ended.</summary>
    public bool IsTerminal => MigrationProtocol.IsTerminal(Phase);

    /// <summary>The state of a migration that has received nothing.</summary>
    public static MigrationState Empty(MigrationId id) => new(id);

    /// <summary>Replays <paramref name="events"/> from <see cref="Empty"/> (recovery uses this, with the same Apply).</summary>
    public static MigrationState Replay(MigrationId id, IEnumerable<IMigrationEvent> events) =>
        events.Aggregate(Empty(id), (state, e) => state.Apply(e));

    /// <summary>
    /// On which hosts the workload may be running in this state: the source until the source is stopped for
    /// switchover, nowhere between stop and the commit, the target from commit on (the target may be started once
    /// Committed is persisted), the source again during and after rollback. Never two hosts. Failed claims no host:
    /// the workload's device was lost (source or target VF gone) or runs without its state (target reset), so where
    /// it runs, if anywhere, is unknown to the migration and left to the reconciler and the operator.
    /// </summary>
    public IReadOnlyList<HostId> WorkloadRunningOn() => Phase switch
    {
        MigrationPhase.New => [],
        MigrationPhase.Requested or MigrationPhase.Placed or MigrationPhase.TargetPrepared or MigrationPhase.PreCopying
            or MigrationPhase.SwitchoverStarted or MigrationPhase.RollingBack or MigrationPhase.RolledBack
            => SourceHost is { } source ? [source] : [],
        MigrationPhase.StateTransferred or MigrationPhase.TargetLoaded or MigrationPhase.Failed => [],
        _ => Placement is { } p ? [p.Host] : [],
    };

    /// <summary>The step of the current action.</summary>
    public MigrationStep CurrentStep => NextAction().Step;

    private TimeSpan CompletionTimeout => Policy.CompletionTimeoutFor(StateBytes);

    private DecideResult Emit(params Func<MigrationState, IMigrationEvent>[] makers)
    {
        var events = new List<IMigrationEvent>(makers.Length);
        var scratch = this;
        foreach (var make in makers)
        {
            var e = make(scratch);
            events.Add(e);
            scratch = scratch.Apply(e);
        }

        return DecideResult.Accept(events);
    }
}
