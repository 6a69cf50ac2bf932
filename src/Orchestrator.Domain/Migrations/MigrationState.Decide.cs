using Orchestrator.Domain.Convergence;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Policies;
using C = Orchestrator.Domain.Migrations.MigrationCommands;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Migrations;

/// <summary>Decide: command → events, or a rejection with a reason. Never throws.</summary>
public sealed partial record MigrationState
{
    /// <summary>Decides <paramref name="command"/> at <paramref name="now"/>: the events to persist, or why not.</summary>
    public DecideResult Decide(IMigrationCommand command, DateTimeOffset now)
    {
        if (command is null)
        {
            return DecideResult.Reject(RejectionCode.Invalid, "no command");
        }

        if (command.MigrationId != Id)
        {
            return DecideResult.Reject(RejectionCode.WrongMigration, $"command for migration '{command.MigrationId}' sent to migration '{Id}'");
        }

        if (Phase == MigrationPhase.New && command is not (C.RequestMigration or C.Withdraw or C.Tick or C.Recover))
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, $"migration '{Id}' was never requested; {command.GetType().Name} has nothing to act on");
        }

        if (EpochOf(command) is { } epoch)
        {
            if (epoch < Epoch)
            {
                return DecideResult.Reject(RejectionCode.StaleEpoch, $"stale epoch {epoch} < current {Epoch} for {command.GetType().Name}");
            }

            if (epoch > Epoch)
            {
                return DecideResult.Reject(RejectionCode.FutureEpoch, $"epoch {epoch} > current {Epoch} for {command.GetType().Name}");
            }

            if (IsTerminal)
            {
                return DecideResult.Reject(RejectionCode.Terminal, $"migration '{Id}' has ended ({Phase}); {command.GetType().Name} ignored");
            }
        }

        return command switch
        {
            C.RequestMigration c => DecideRequest(c, now),
            C.Recover => DecideRecover(now),
            C.Tick => DecideTick(now),
            C.Abort c => DecideAbort(c, now),
            C.Withdraw c => Phase == MigrationPhase.New
                ? Emit(s => new E.MigrationWithdrawn(Id, s.Epoch, now, c.Workload, string.IsNullOrWhiteSpace(c.Reason) ? "withdrawn before it started" : c.Reason))
                : DecideResult.Reject(IsTerminal ? RejectionCode.Terminal : RejectionCode.WrongPhase, $"migration '{Id}' was requested (now {Phase}); abort it instead"),
            C.StartSwitchover => DecideStartSwitchover(now),
            C.ForceSwitchover => DecideForceSwitchover(now),
            C.ChangePolicy c => DecideChangePolicy(c, now),
            C.ReportStepFailed c => DecideFailure(c, now),
            C.RecordPlacement c => DecidePlacement(c, now),
            C.RecordAdmitted => Expect(MigrationPhase.Placed, "RecordAdmitted") ?? (Admitted
                ? DecideResult.Reject(RejectionCode.Duplicate, "already admitted")
                : Emit(s => new E.MigrationAdmitted(Id, s.Epoch, now))),
            C.RecordTargetPrepared => DecideTargetPrepared(now),
            C.RecordPreCopyStarted c => Expect(MigrationPhase.TargetPrepared, "RecordPreCopyStarted") ?? (c.StateBytes < 0
                ? DecideResult.Reject(RejectionCode.Invalid, $"StateBytes = {c.StateBytes} is invalid: expected ≥ 0")
                : Emit(s => new E.PreCopyStarted(Id, s.Epoch, now, c.StateBytes))),
            C.RecordPreCopyRound c => DecideRound(c, now),
            C.RecordSourcesQuiesced => Expect(MigrationPhase.SwitchoverStarted, "RecordSourcesQuiesced") ?? (SourcesQuiesced || !IsMultiVf
                ? DecideResult.Reject(RejectionCode.Duplicate, IsMultiVf ? "sources already quiesced" : "single-VF migration needs no quiescing")
                : Emit(s => new E.SourcesQuiesced(Id, s.Epoch, now))),
            C.RecordStateTransferred c => DecideTransferred(c, now),
            C.RecordTargetLoaded => Expect(MigrationPhase.StateTransferred, "RecordTargetLoaded")
                ?? Emit(s => new E.TargetLoaded(Id, s.Epoch, now)),
            C.RecordCommit => Expect(MigrationPhase.TargetLoaded, "Commit")
                ?? Emit(s => new E.MigrationCommitted(Id, s.Epoch, now, s.Vfs)),
            C.RecordTargetRunning c => Expect(MigrationPhase.Committed, "RecordTargetRunning") ?? (c.MeasuredDowntime < TimeSpan.Zero
                ? DecideResult.Reject(RejectionCode.Invalid, $"MeasuredDowntime = {c.MeasuredDowntime} is invalid: expected ≥ 0")
                : Emit(s => new E.TargetStarted(Id, s.Epoch, now, c.MeasuredDowntime ?? DowntimeFromTimeline(now)))),
            C.RecordSourceReleased => Expect(MigrationPhase.TargetRunning, "RecordSourceReleased")
                ?? Emit(s => new E.SourceReleased(Id, s.Epoch, now, s.SourceVfs)),
            C.RecordReservationsReleased => DecideReservationsReleased(now),
            C.RecordSourceResumed => DecideRollbackStep(MigrationStep.ResumeSource, now),
            C.RecordTargetDestroyed => DecideRollbackStep(MigrationStep.DestroyTarget, now),
            _ => DecideResult.Reject(RejectionCode.Invalid, $"unknown command {command.GetType().Name}"),
        };
    }

    private static Epoch? EpochOf(IMigrationCommand command) => command switch
    {
        C.RecordPlacement c => c.Epoch,
        C.RecordAdmitted c => c.Epoch,
        C.RecordTargetPrepared c => c.Epoch,
        C.RecordPreCopyStarted c => c.Epoch,
        C.RecordPreCopyRound c => c.Epoch,
        C.RecordSourcesQuiesced c => c.Epoch,
        C.RecordStateTransferred c => c.Epoch,
        C.RecordTargetLoaded c => c.Epoch,
        C.RecordCommit c => c.Epoch,
        C.RecordTargetRunning c => c.Epoch,
        C.RecordSourceReleased c => c.Epoch,
        C.RecordReservationsReleased c => c.Epoch,
        C.RecordSourceResumed c => c.Epoch,
        C.RecordTargetDestroyed c => c.Epoch,
        C.ReportStepFailed c => c.Epoch,
        _ => null,
    };

    // Null when the phase is the expected one; else Duplicate (already past it, going forward) or WrongPhase.
    private DecideResult? Expect(MigrationPhase expected, string what)
    {
        if (Phase == expected)
        {
            return null;
        }

        var forward = Phase is not (MigrationPhase.RollingBack or MigrationPhase.RolledBack or MigrationPhase.Failed);
        return forward && Phase > expected
            ? DecideResult.Reject(RejectionCode.Duplicate, $"{what} already recorded (now {Phase})")
            : DecideResult.Reject(RejectionCode.WrongPhase, $"{what} expects phase {expected}, migration is {Phase}");
    }

    private DecideResult DecideRequest(C.RequestMigration c, DateTimeOffset now)
    {
        var policy = c.Policy ?? MigrationPolicy.Default;
        if (Withdrawn)
        {
            return DecideResult.Reject(RejectionCode.Terminal, $"migration '{Id}' was withdrawn before it started ({RollbackReason}); it never runs: use a new id");
        }

        if (Phase != MigrationPhase.New)
        {
            var same = Workload == c.Workload && SourceVfs.SequenceEqual(c.SourceVfs.Distinct().Order())
                && RequestedTarget == c.TargetHost && Policy == policy;
            return same
                ? DecideResult.Reject(RejectionCode.Duplicate, $"migration '{Id}' already requested (now {Phase})")
                : DecideResult.Reject(RejectionCode.Invalid, $"migration '{Id}' already exists with a different request");
        }

        if (c.SourceVfs is null || c.SourceVfs.Count == 0)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"workload '{c.Workload}' has no VF to migrate");
        }

        var hosts = c.SourceVfs.Select(v => v.Host).Distinct().ToList();
        if (hosts.Count > 1)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"source VFs are on several hosts: {string.Join(", ", hosts)}");
        }

        if (c.TargetHost == hosts[0])
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"target host '{c.TargetHost}' is the source host");
        }

        var errors = policy.Validate();
        if (errors.Count > 0)
        {
            return DecideResult.Reject(RejectionCode.Invalid, "invalid policy: " + string.Join("; ", errors));
        }

        return Emit(_ => new E.MigrationRequested(Id, Epoch.Zero, now, c.Workload, [.. c.SourceVfs.Distinct().Order()], c.TargetHost, policy));
    }

    private DecideResult DecideRecover(DateTimeOffset now)
    {
        if (Phase == MigrationPhase.New || IsTerminal)
        {
            return DecideResult.Nothing;
        }

        var phase = Phase;
        var recovered = new Func<MigrationState, IMigrationEvent>(s => new E.MigrationRecovered(Id, s.Epoch.Next(), now, phase));
        return phase is MigrationPhase.TargetPrepared or MigrationPhase.PreCopying or MigrationPhase.SwitchoverStarted
            or MigrationPhase.StateTransferred or MigrationPhase.TargetLoaded
            ? Rollback(now, Migrations.RollbackCode.Interrupted, $"coordinator recovered in {phase}: the state stream belonged to the previous incarnation", MigrationStep.None, recovered)
            : Emit(recovered);
    }

    private DecideResult DecideAbort(C.Abort c, DateTimeOffset now) => Phase switch
    {
        _ when IsTerminal => DecideResult.Reject(RejectionCode.Terminal, $"migration '{Id}' has ended ({Phase})"),
        MigrationPhase.RollingBack => DecideResult.Reject(RejectionCode.Duplicate, $"already rolling back: {RollbackReason}"),
        _ when MigrationProtocol.IsCommitted(Phase) => DecideResult.Reject(RejectionCode.TooLate, $"abort-too-late-committed: migration '{Id}' is {Phase}; it goes forward to Completed"),
        _ => Rollback(now, Migrations.RollbackCode.Aborted, string.IsNullOrWhiteSpace(c.Reason) ? "aborted by user" : c.Reason, MigrationStep.None),
    };

    private DecideResult DecideStartSwitchover(DateTimeOffset now)
    {
        if (Phase != MigrationPhase.PreCopying)
        {
            return SwitchoverPhaseRejection();
        }

        if (Rounds.Count == 0)
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, "no pre-copy round measured yet; use ForceSwitchover to switch over without a prediction");
        }

        var predicted = Rounds[^1].PredictedDowntime;
        return predicted <= Policy.DowntimeLimit
            ? Emit(s => new E.SwitchoverStarted(Id, s.Epoch, now, Migrations.SwitchoverReason.Converged,
                $"requested with predicted downtime {ConvergenceModel.Ms(predicted)} ≤ limit {ConvergenceModel.Ms(Policy.DowntimeLimit)}", s.Vfs))
            : DecideResult.Reject(RejectionCode.Invalid,
                $"predicted downtime {ConvergenceModel.Ms(predicted)} > limit {ConvergenceModel.Ms(Policy.DowntimeLimit)}; use ForceSwitchover to accept it");
    }

    private DecideResult DecideForceSwitchover(DateTimeOffset now) =>
        Phase is MigrationPhase.PreCopying or MigrationPhase.TargetPrepared
            ? Emit(s => new E.SwitchoverStarted(Id, s.Epoch, now, Migrations.SwitchoverReason.Forced,
                $"forced by user{(PredictedDowntime is { } p ? $" with predicted downtime {ConvergenceModel.Ms(p)}" : string.Empty)}", s.Vfs))
            : SwitchoverPhaseRejection();

    private DecideResult DecideChangePolicy(C.ChangePolicy c, DateTimeOffset now)
    {
        if (c.DowntimeLimit is { } limit && limit <= TimeSpan.Zero)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"DowntimeLimit = {limit} is invalid: expected > 0");
        }

        if (c.BandwidthCapBytesPerSecond is <= 0)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"BandwidthCapBytesPerSecond = {c.BandwidthCapBytesPerSecond} is invalid: expected > 0");
        }

        if (IsTerminal || Phase == MigrationPhase.RollingBack || Phase > MigrationPhase.PreCopying)
        {
            return Phase switch
            {
                _ when IsTerminal => DecideResult.Reject(RejectionCode.Terminal, $"migration '{Id}' has ended ({Phase}); its policy no longer changes anything"),
                MigrationPhase.RollingBack => DecideResult.Reject(RejectionCode.WrongPhase, $"migration '{Id}' is rolling back: {RollbackReason}"),
                _ => DecideResult.Reject(RejectionCode.WrongPhase, $"migration '{Id}' is in {Phase}: switchover started, so its downtime limit and bandwidth no longer change anything"),
            };
        }

        var policy = Policy with
        {
            DowntimeLimit = c.DowntimeLimit ?? Policy.DowntimeLimit,
            BandwidthCapBytesPerSecond = c.ClearBandwidthCap ? null : c.BandwidthCapBytesPerSecond ?? Policy.BandwidthCapBytesPerSecond,
        };
        return policy == Policy ? DecideResult.Nothing : Emit(s => new E.PolicyChanged(Id, s.Epoch, now, policy));
    }

    private DecideResult SwitchoverPhaseRejection() => Phase switch
    {
        _ when IsTerminal => DecideResult.Reject(RejectionCode.Terminal, $"migration '{Id}' has ended ({Phase})"),
        MigrationPhase.RollingBack => DecideResult.Reject(RejectionCode.WrongPhase, $"migration '{Id}' is rolling back: {RollbackReason}"),
        > MigrationPhase.PreCopying => DecideResult.Reject(RejectionCode.Duplicate, $"switchover already started ({Phase})"),
        _ => DecideResult.Reject(RejectionCode.WrongPhase, $"switchover needs a prepared target; migration '{Id}' is {Phase}"),
    };

    private DecideResult DecideFailure(C.ReportStepFailed c, DateTimeOffset now)
    {
        var current = CurrentStep;
        if (c.Step != current)
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, $"failure of step {c.Step} does not match the current step {current} ({Phase})");
        }

        if (Phase == MigrationPhase.RollingBack || MigrationProtocol.IsCommitted(Phase))
        {
            return (c.Step, c.Fault) switch
            {
                (MigrationStep.ResumeSource, StepFault.VfMissing) => Fail(now, Migrations.FailureCode.SourceLost, c.Step,
                    $"the source VF is gone, nothing to resume: {c.Reason}"),
                (MigrationStep.StartTarget, StepFault.VfMissing) => Fail(now, Migrations.FailureCode.TargetLost, c.Step,
                    $"the target VF is gone after commit, nothing to start: {c.Reason}"),
                (MigrationStep.StartTarget, StepFault.DeviceStateLost) => Fail(now, Migrations.FailureCode.TargetStateLost, c.Step,
                    $"the target VF was reset to run: the migrated device state is lost: {c.Reason}"),
                _ => Retry(now, c.Step, c.Reason),
            };
        }

        return Rollback(now, RollbackCodes.FromStep(c.Step), $"{c.Step} failed: {c.Reason}", c.Step);
    }

    private DecideResult DecidePlacement(C.RecordPlacement c, DateTimeOffset now)
    {
        if (Expect(MigrationPhase.Requested, "RecordPlacement") is { } rejected)
        {
            return rejected;
        }

        var target = c.Target;
        var placed = target?.Vfs.Select(v => v.Source).Order().ToList();
        if (target is null || placed is null || !placed.SequenceEqual(SourceVfs))
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"placement must name exactly the source VFs {string.Join(", ", SourceVfs)}");
        }

        if (target.SourceHost != SourceHost || target.Host == target.SourceHost || target.Vfs.Any(v => v.Target.Host != target.Host))
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"placement target '{target.Host}' is inconsistent: source host '{SourceHost}', target VFs {string.Join(", ", target.Vfs.Select(v => v.Target))}");
        }

        if (RequestedTarget is { } wanted && target.Host != wanted)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"placement chose '{target.Host}' but '{wanted}' was requested");
        }

        return Emit(s => new E.MigrationPlaced(Id, s.Epoch, now, target, target.ReservationsFor(Id)));
    }

    private DecideResult DecideTargetPrepared(DateTimeOffset now)
    {
        if (Expect(MigrationPhase.Placed, "RecordTargetPrepared") is { } rejected)
        {
            return rejected;
        }

        if (!Admitted)
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, "target prepared before admission");
        }

        var prepared = new Func<MigrationState, IMigrationEvent>(s => new E.TargetPrepared(Id, s.Epoch, now, s.Vfs));
        return UsesPreCopy
            ? Emit(prepared)
            : Emit(prepared, s => new E.SwitchoverStarted(Id, s.Epoch, now, Migrations.SwitchoverReason.NoPreCopy,
                "not every source supports PRE_COPY: straight to stop-copy", s.Vfs));
    }

    private DecideResult DecideRound(C.RecordPreCopyRound c, DateTimeOffset now)
    {
        if (Expect(MigrationPhase.PreCopying, "RecordPreCopyRound") is { } rejected)
        {
            return rejected;
        }

        if (c.Round <= Rounds.Count)
        {
            return DecideResult.Reject(RejectionCode.Duplicate, $"round {c.Round} already recorded");
        }

        if (c.Round != Rounds.Count + 1)
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"round {c.Round} is out of order: expected {Rounds.Count + 1}");
        }

        if (c.BytesTransferred < 0 || c.BytesRemaining < 0 || c.DirtyRateBytesPerSecond < 0 || c.BandwidthBytesPerSecond < 0
            || double.IsNaN(c.DirtyRateBytesPerSecond) || double.IsNaN(c.BandwidthBytesPerSecond)
            || c.StopLatency < TimeSpan.Zero || c.LoadLatency < TimeSpan.Zero || c.SwitchoverOverhead < TimeSpan.Zero)
        {
            return DecideResult.Reject(RejectionCode.Invalid,
                $"round {c.Round} has a negative or NaN measure: transferred {c.BytesTransferred}, remaining {c.BytesRemaining}, dirty rate {c.DirtyRateBytesPerSecond}, bandwidth {c.BandwidthBytesPerSecond}, stop {c.StopLatency}, load {c.LoadLatency}, control {c.SwitchoverOverhead}");
        }

        var decision = ConvergenceModel.Decide(
            new ConvergenceInput(c.Round, c.BytesRemaining, c.BandwidthBytesPerSecond, c.DirtyRateBytesPerSecond,
                c.StopLatency, c.LoadLatency, now - (PreCopyStartedAt ?? now), CompletionTimeout, c.TargetReady,
                ConvergedAt is { } since ? now - since : null, c.SwitchoverOverhead),
            Policy);
        var sample = new PreCopySample(c.Round, c.BytesTransferred, c.BytesRemaining, c.DirtyRateBytesPerSecond,
            c.BandwidthBytesPerSecond, decision.Prediction.Downtime, decision.Verdict, now);
        var recorded = new Func<MigrationState, IMigrationEvent>(s => new E.PreCopyRoundRecorded(Id, s.Epoch, now, sample));
        return decision.Verdict switch
        {
            ConvergenceVerdict.SwitchOver => Emit(recorded, s => new E.SwitchoverStarted(Id, s.Epoch, now, Migrations.SwitchoverReason.Converged, decision.Reason, s.Vfs)),
            ConvergenceVerdict.ForceSwitchover => Emit(recorded, s => new E.SwitchoverStarted(Id, s.Epoch, now,
                s.Elapsed(now) >= CompletionTimeout ? Migrations.SwitchoverReason.TimedOut : Migrations.SwitchoverReason.RoundsExhausted, decision.Reason, s.Vfs)),
            ConvergenceVerdict.Abort => Rollback(now, Migrations.RollbackCode.NonConvergence, decision.Reason, MigrationStep.None, recorded),
            _ => Emit(recorded),
        };
    }

    private TimeSpan Elapsed(DateTimeOffset now) => now - (PreCopyStartedAt ?? SwitchoverStartedAt ?? now);

    private DecideResult DecideTransferred(C.RecordStateTransferred c, DateTimeOffset now)
    {
        if (Expect(MigrationPhase.SwitchoverStarted, "RecordStateTransferred") is { } rejected)
        {
            return rejected;
        }

        if (IsMultiVf && !SourcesQuiesced)
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, "state transferred before every source was quiesced to P2P");
        }

        if (c.Bytes < 0 || string.IsNullOrWhiteSpace(c.Checksum))
        {
            return DecideResult.Reject(RejectionCode.Invalid, $"transferred state needs bytes ≥ 0 and a checksum: bytes {c.Bytes}, checksum '{c.Checksum}'");
        }

        return Emit(s => new E.StateTransferred(Id, s.Epoch, now, c.Bytes, c.Checksum));
    }

    private DecideResult DecideReservationsReleased(DateTimeOffset now)
    {
        if (Phase == MigrationPhase.RollingBack)
        {
            return DecideRollbackStep(MigrationStep.ReleaseReservations, now);
        }

        return Expect(MigrationPhase.SourceReleased, "RecordReservationsReleased")
            ?? Emit(s => new E.MigrationCompleted(Id, s.Epoch, now, s.Reservations));
    }

    private DecideResult DecideRollbackStep(MigrationStep step, DateTimeOffset now)
    {
        if (Phase != MigrationPhase.RollingBack)
        {
            return DecideResult.Reject(RejectionCode.WrongPhase, $"{step} is a rollback step; migration '{Id}' is {Phase}");
        }

        if (!PendingRollbackSteps.Contains(step))
        {
            return DecideResult.Reject(RejectionCode.Duplicate, $"rollback step {step} is not pending (pending: {string.Join(", ", PendingRollbackSteps)})");
        }

        var done = new Func<MigrationState, IMigrationEvent>(s => new E.RollbackStepCompleted(Id, s.Epoch, now, step));
        return PendingRollbackSteps.Count == 1
            ? Emit(done, s => new E.MigrationRolledBack(Id, s.Epoch, now, s.RollbackReason ?? "rolled back", Reservations))
            : Emit(done);
    }

    private DecideResult DecideTick(DateTimeOffset now)
    {
        if (Phase == MigrationPhase.New || IsTerminal || (Phase == MigrationPhase.Placed && !Admitted))
        {
            return DecideResult.Nothing; // queued migrations wait for admission, not for a step
        }

        var idle = now - (LastProgressAt ?? now);
        if (MigrationProtocol.IsBeforeCommit(Phase))
        {
            var started = PreCopyStartedAt ?? SwitchoverStartedAt;
            if (started is { } s0 && now - s0 >= CompletionTimeout)
            {
                var why = $"completion timeout {ConvergenceModel.Ms(CompletionTimeout)} for {StateBytes} bytes passed in {Phase}";
                return Phase == MigrationPhase.PreCopying && Policy.NonConvergenceAction == NonConvergenceAction.ForceSwitchover
                    ? Emit(s => new E.SwitchoverStarted(Id, s.Epoch, now, Migrations.SwitchoverReason.TimedOut, why + "; policy forces switchover", s.Vfs))
                    : Rollback(now, Migrations.RollbackCode.Timeout, why, MigrationStep.None);
            }

            return idle >= Policy.ProgressTimeout
                ? Rollback(now, Migrations.RollbackCode.Timeout, $"no progress in {Phase} for {ConvergenceModel.Ms(idle)} (progress timeout {ConvergenceModel.Ms(Policy.ProgressTimeout)}); step {CurrentStep}", MigrationStep.None)
                : DecideResult.Nothing;
        }

        return idle >= Policy.ProgressTimeout
            ? Retry(now, CurrentStep, $"no progress for {ConvergenceModel.Ms(idle)}")
            : DecideResult.Nothing;
    }

    // During rollback and after commit: retry the step, unless that would be retry MaxRetries + 1.
    private DecideResult Retry(DateTimeOffset now, MigrationStep step, string reason) =>
        Attempt + 1 > Policy.MaxRetries
            ? Fail(now, Migrations.FailureCode.RetriesExhausted, step,
                $"{step} failed {Attempt + 1} time(s), more than MaxRetries = {Policy.MaxRetries}; last: {reason}")
            : Emit(s => new E.StepRetried(Id, s.Epoch, now, step, s.Attempt + 1, reason));

    private DecideResult Fail(DateTimeOffset now, FailureCode code, MigrationStep step, string reason) =>
        Emit(s => new E.MigrationFailed(Id, s.Epoch, now, code, reason, step, s.Phase, s.Reservations));

    private DecideResult Rollback(DateTimeOffset now, RollbackCode code, string reason, MigrationStep failedStep, Func<MigrationState, IMigrationEvent>? first = null)
    {
        var makers = new List<Func<MigrationState, IMigrationEvent>>();
        if (first is not null)
        {
            makers.Add(first);
        }

        makers.Add(s => new E.RollbackStarted(Id, s.Epoch, now, reason, failedStep, s.Phase, s.RollbackStepsFrom(s.Phase), s.Vfs, s.Reservations, code));
        var steps = RollbackStepsFrom(Phase);
        if (steps.Count == 0)
        {
            makers.Add(s => new E.MigrationRolledBack(Id, s.Epoch, now, reason, s.Reservations));
        }

        return Emit([.. makers]);
    }

    // What to undo from a phase. Each step is idempotent, so "may have happened" is enough to include it.
    private IReadOnlyList<MigrationStep> RollbackStepsFrom(MigrationPhase phase) => phase switch
    {
        MigrationPhase.New => [],
        MigrationPhase.Requested => [MigrationStep.ReleaseReservations], // the workload claim, held since the request
        MigrationPhase.Placed when !Admitted => [MigrationStep.ReleaseReservations],
        MigrationPhase.Placed => [MigrationStep.DestroyTarget, MigrationStep.ReleaseReservations],
        _ => [MigrationStep.ResumeSource, MigrationStep.DestroyTarget, MigrationStep.ReleaseReservations],
    };

    private TimeSpan DowntimeFromTimeline(DateTimeOffset now) =>
        SwitchoverStartedAt is { } stop && now >= stop ? now - stop : TimeSpan.Zero;
}
