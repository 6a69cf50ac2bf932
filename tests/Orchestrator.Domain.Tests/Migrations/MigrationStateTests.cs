using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using static Orchestrator.Domain.Tests.Fixtures;
using A = Orchestrator.Domain.Migrations.MigrationActions;
using C = Orchestrator.Domain.Migrations.MigrationCommands;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Tests.Migrations;

public sealed class MigrationStateTests
{
    private static MigrationState Requested(int vfs = 1, MigrationPolicy? policy = null) =>
        MigrationState.Empty(Mid).Run(Request(vfs, policy), T0);

    private static MigrationState AdvanceTo(MigrationPhase phase, int vfs = 1, MigrationFlags? flags = null, MigrationPolicy? policy = null)
    {
        var s = Requested(vfs, policy);
        var now = T0;
        for (var i = 0; i < 50 && s.Phase != phase; i++)
        {
            now = now.AddMilliseconds(10);
            s = s.Run(Success(s, vfs, flags: flags)!, now);
        }

        Assert.Equal(phase, s.Phase);
        return s;
    }

    [Fact]
    public void Happy_path_single_vf_with_pre_copy_reaches_completed()
    {
        var now = T0;
        var journal = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Mid).Run(Request(), now, journal);
        s = Drive(s, ref now, journal: journal);
        Assert.Equal(MigrationPhase.Completed, s.Phase);
        Assert.Empty(s.Reservations);
        Assert.Equal([HostB], s.WorkloadRunningOn());
        Assert.Single(s.Rounds);
        Assert.NotNull(s.MeasuredDowntime);
        Assert.Equal(
            [MigrationPhase.Requested, MigrationPhase.Placed, MigrationPhase.TargetPrepared, MigrationPhase.PreCopying, MigrationPhase.SwitchoverStarted,
             MigrationPhase.StateTransferred, MigrationPhase.TargetLoaded, MigrationPhase.Committed, MigrationPhase.TargetRunning,
             MigrationPhase.SourceReleased, MigrationPhase.Completed],
            s.Timeline.Select(t => t.Phase));
        Assert.IsType<A.Done>(s.NextAction());
        Assert.Equal(Structure(s), Structure(MigrationState.Replay(Mid, journal)));
    }

    [Fact]
    public void Checkpoints_are_exactly_the_starred_events()
    {
        var now = T0;
        var journal = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Mid).Run(Request(), now, journal);
        Drive(s, ref now, journal: journal);
        var checkpoints = journal.OfType<ICheckpointEvent>().Select(e => e.GetType().Name).ToList();
        Assert.Equal(["MigrationRequested", "MigrationPlaced", "TargetPrepared", "SwitchoverStarted", "MigrationCommitted", "SourceReleased", "MigrationCompleted"], checkpoints);
        Assert.IsNotAssignableFrom<ICheckpointEvent>(journal.OfType<E.PreCopyRoundRecorded>().Single());
    }

    [Fact]
    public void Placed_waits_for_admission_then_prepares_target()
    {
        var s = AdvanceTo(MigrationPhase.Placed);
        Assert.False(s.Admitted);
        var admission = Assert.IsType<A.AwaitAdmission>(s.NextAction());
        Assert.Equal(HostA, admission.SourceHost);
        Assert.Equal(HostB, admission.TargetHost);
        Assert.Equal(2, s.Reservations.Count);
        var early = s.Decide(new C.RecordTargetPrepared(Mid, s.Epoch), T0);
        Assert.Equal(RejectionCode.WrongPhase, early.Code);
        s = s.Run(new C.RecordAdmitted(Mid, s.Epoch), T0);
        var prepare = Assert.IsType<A.PrepareTarget>(s.NextAction());
        Assert.Equal(PfId.Parse("host-b/0000:3b:00.0").Vf(0), prepare.Vfs[0].Target);
    }

    [Fact]
    public void Without_pre_copy_switchover_follows_target_prepared()
    {
        var s = AdvanceTo(MigrationPhase.SwitchoverStarted, flags: MigrationFlags.StopCopy | MigrationFlags.P2P);
        Assert.Equal(SwitchoverReason.NoPreCopy, s.SwitchoverReason);
        Assert.Empty(s.Rounds);
        Assert.IsType<A.StopAndCopy>(s.NextAction());
    }

    [Fact]
    public void Multi_vf_quiesces_every_source_before_any_stops()
    {
        var s = AdvanceTo(MigrationPhase.SwitchoverStarted, vfs: 2);
        var quiesce = Assert.IsType<A.QuiesceSources>(s.NextAction());
        Assert.Equal(2, quiesce.Vfs.Count);
        var early = s.Decide(new C.RecordStateTransferred(Mid, s.Epoch, 1, "x"), T0);
        Assert.False(early.Accepted);
        Assert.Contains("quiesced", early.Reason, StringComparison.Ordinal);
        s = s.Run(new C.RecordSourcesQuiesced(Mid, s.Epoch), T0);
        Assert.IsType<A.StopAndCopy>(s.NextAction());
    }

    [Fact]
    public void Single_vf_needs_no_quiescing()
    {
        var s = AdvanceTo(MigrationPhase.SwitchoverStarted);
        Assert.IsType<A.StopAndCopy>(s.NextAction());
        Assert.Equal(RejectionCode.Duplicate, s.Decide(new C.RecordSourcesQuiesced(Mid, s.Epoch), T0).Code);
    }

    [Fact]
    public void Pre_copy_continues_while_prediction_exceeds_the_limit()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        // 1 GB remaining at 1 GB/s = 1 s + 50 ms > 300 ms.
        s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, 1, 10, 1_000_000_000, 1e6, 1e9, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30)), T0.AddSeconds(1));
        Assert.Equal(MigrationPhase.PreCopying, s.Phase);
        Assert.Equal(TimeSpan.FromMilliseconds(1050), s.PredictedDowntime);
        Assert.Equal(2, Assert.IsType<A.ContinuePreCopy>(s.NextAction()).Round);
        // 100 MB at 1 GB/s = 100 ms + 50 ms ≤ 300 ms.
        s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, 2, 10, 100_000_000, 1e6, 1e9, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30)), T0.AddSeconds(2));
        Assert.Equal(MigrationPhase.SwitchoverStarted, s.Phase);
        Assert.Equal(SwitchoverReason.Converged, s.SwitchoverReason);
        Assert.Equal(2, s.Rounds.Count);
    }

    [Fact]
    public void Round_numbers_must_follow()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        Assert.Equal(RejectionCode.Invalid, s.Decide(new C.RecordPreCopyRound(Mid, s.Epoch, 3, 1, 1, 0, 1, TimeSpan.Zero, TimeSpan.Zero), T0).Code);
        Assert.Equal(RejectionCode.Invalid, s.Decide(new C.RecordPreCopyRound(Mid, s.Epoch, 1, -1, 1, 0, 1, TimeSpan.Zero, TimeSpan.Zero), T0).Code);
    }

    [Fact]
    public void Max_rounds_with_abort_policy_rolls_back()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying, policy: MigrationPolicy.Default with { MaxPreCopyRounds = 1 });
        s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, 1, 10, 1_000_000_000, 1e6, 1e9, TimeSpan.Zero, TimeSpan.Zero), T0.AddSeconds(1));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Contains("not converged", s.RollbackReason, StringComparison.Ordinal);
        Assert.IsType<A.ResumeSource>(s.NextAction());
    }

    [Fact]
    public void Max_rounds_with_force_policy_switches_over()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying, policy: MigrationPolicy.Default with { MaxPreCopyRounds = 1, NonConvergenceAction = NonConvergenceAction.ForceSwitchover });
        s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, 1, 10, 1_000_000_000, 1e6, 1e9, TimeSpan.Zero, TimeSpan.Zero), T0.AddSeconds(1));
        Assert.Equal(SwitchoverReason.RoundsExhausted, s.SwitchoverReason);
    }

    [Fact]
    public void Start_switchover_needs_a_prediction_within_the_limit_force_does_not()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        Assert.Equal(RejectionCode.WrongPhase, s.Decide(new C.StartSwitchover(Mid), T0).Code);
        s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, 1, 10, 1_000_000_000, 1e6, 1e9, TimeSpan.Zero, TimeSpan.Zero), T0.AddSeconds(1));
        var refused = s.Decide(new C.StartSwitchover(Mid), T0);
        Assert.Contains("1000 ms > limit 300 ms", refused.Reason, StringComparison.Ordinal);
        s = s.Run(new C.ForceSwitchover(Mid), T0.AddSeconds(2));
        Assert.Equal(SwitchoverReason.Forced, s.SwitchoverReason);
        Assert.Equal(RejectionCode.Duplicate, s.Decide(new C.ForceSwitchover(Mid), T0).Code);
    }

    [Theory]
    [InlineData(MigrationPhase.Requested, 1)] // the workload claim is released before RolledBack
    [InlineData(MigrationPhase.Placed, 1)]
    [InlineData(MigrationPhase.TargetPrepared, 3)]
    [InlineData(MigrationPhase.PreCopying, 3)]
    [InlineData(MigrationPhase.SwitchoverStarted, 3)]
    [InlineData(MigrationPhase.StateTransferred, 3)]
    [InlineData(MigrationPhase.TargetLoaded, 3)]
    public void Abort_before_commit_rolls_back_undoing_what_may_have_happened(MigrationPhase phase, int steps)
    {
        var s = AdvanceTo(phase);
        s = s.Run(new C.Abort(Mid), T0.AddMinutes(1));
        if (steps == 0)
        {
            Assert.Equal(MigrationPhase.RolledBack, s.Phase);
        }
        else
        {
            Assert.Equal(MigrationPhase.RollingBack, s.Phase);
            Assert.Equal(steps, s.PendingRollbackSteps.Count);
            Assert.Equal(RejectionCode.Duplicate, s.Decide(new C.Abort(Mid), T0).Code);
            var now = T0.AddMinutes(1);
            s = Drive(s, ref now);
        }

        Assert.Equal(MigrationPhase.RolledBack, s.Phase);
        Assert.Equal("aborted by user", s.RollbackReason);
        Assert.Empty(s.Reservations);
        Assert.Equal([HostA], s.WorkloadRunningOn());
    }

    [Theory]
    [InlineData(MigrationPhase.Committed)]
    [InlineData(MigrationPhase.TargetRunning)]
    [InlineData(MigrationPhase.SourceReleased)]
    public void Abort_after_commit_is_too_late(MigrationPhase phase)
    {
        var result = AdvanceTo(phase).Decide(new C.Abort(Mid), T0);
        Assert.Equal(RejectionCode.TooLate, result.Code);
        Assert.Contains("abort-too-late-committed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_withdrawn_id_ends_RolledBack_Aborted_with_nothing_held_and_a_later_request_is_refused()
    {
        var journal = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Mid).Run(new C.Withdraw(Mid, Vm, "evacuation e-1 cancelled"), T0, journal);
        var withdrawn = Assert.IsType<E.MigrationWithdrawn>(Assert.Single(journal));
        Assert.IsAssignableFrom<ICheckpointEvent>(withdrawn); // written before anyone may rely on it
        Assert.Equal(MigrationPhase.RolledBack, s.Phase);
        Assert.True(s.Withdrawn);
        Assert.Equal(RollbackCode.Aborted, s.RollbackCode);
        Assert.Equal("evacuation e-1 cancelled", s.RollbackReason);
        Assert.Empty(s.Reservations);
        Assert.Empty(s.WorkloadRunningOn()); // it never touched the workload
        Assert.IsType<A.Done>(s.NextAction());

        // The start that was still on its way arrives: refused, never run; a second withdrawal is refused too.
        var late = s.Decide(Request(), T0.AddSeconds(1));
        Assert.Equal(RejectionCode.Terminal, late.Code);
        Assert.Contains("withdrawn", late.Reason, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.Terminal, s.Decide(new C.Withdraw(Mid, Vm, "again"), T0).Code);
        Assert.Equal(s.Phase, MigrationState.Replay(Mid, journal).Phase);
    }

    [Theory]
    [InlineData(MigrationPhase.Requested)]
    [InlineData(MigrationPhase.PreCopying)]
    [InlineData(MigrationPhase.Committed)]
    public void A_requested_migration_cannot_be_withdrawn_only_aborted(MigrationPhase phase)
    {
        var result = AdvanceTo(phase).Decide(new C.Withdraw(Mid, Vm, "too late"), T0);
        Assert.Equal(RejectionCode.WrongPhase, result.Code);
        Assert.Contains("abort it instead", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_before_commit_rolls_back_with_the_reason()
    {
        var s = AdvanceTo(MigrationPhase.StateTransferred);
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.LoadTarget, s.Epoch, "RESUMING→STOP: EINVAL match data"), T0.AddMinutes(1));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Equal(MigrationStep.LoadTarget, s.FailedStep);
        Assert.Contains("EINVAL match data", s.RollbackReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_of_another_step_is_rejected()
    {
        var s = AdvanceTo(MigrationPhase.StateTransferred);
        Assert.Equal(RejectionCode.WrongPhase, s.Decide(new C.ReportStepFailed(Mid, MigrationStep.PrepareTarget, s.Epoch, "late"), T0).Code);
    }

    [Fact]
    public void Failure_after_commit_retries_forward_with_backoff()
    {
        var s = AdvanceTo(MigrationPhase.Committed);
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO"), T0.AddMinutes(1));
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO"), T0.AddMinutes(2));
        Assert.Equal(MigrationPhase.Committed, s.Phase);
        var retry = Assert.IsType<A.StartTarget>(s.NextAction());
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(1), retry.RetryAfter);
        var now = T0.AddMinutes(3);
        Assert.Equal(MigrationPhase.Completed, Drive(s, ref now).Phase);
    }

    [Fact]
    public void Progress_timeout_before_commit_rolls_back_and_after_commit_retries()
    {
        var s = AdvanceTo(MigrationPhase.TargetPrepared);
        var at = s.LastProgressAt!.Value;
        Assert.Empty(s.Decide(new C.Tick(Mid), at.AddSeconds(29)).Events);
        s = s.Run(new C.Tick(Mid), at.AddSeconds(30));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Contains("no progress in TargetPrepared", s.RollbackReason, StringComparison.Ordinal);

        var c = AdvanceTo(MigrationPhase.TargetRunning);
        c = c.Run(new C.Tick(Mid), c.LastProgressAt!.Value.AddSeconds(31));
        Assert.Equal(MigrationPhase.TargetRunning, c.Phase);
        Assert.Equal(1, c.NextAction().Attempt);
    }

    [Fact]
    public void Queued_migration_does_not_time_out()
    {
        var s = AdvanceTo(MigrationPhase.Placed);
        Assert.Empty(s.Decide(new C.Tick(Mid), T0.AddHours(5)).Events);
    }

    [Fact]
    public void Completion_timeout_in_pre_copy_rolls_back()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        var start = s.PreCopyStartedAt!.Value;
        for (var round = 1; round <= 5; round++)
        {
            s = s.Run(new C.RecordPreCopyRound(Mid, s.Epoch, round, 10, 1_000_000_000, 1e6, 1e9, TimeSpan.Zero, TimeSpan.Zero), start.AddSeconds(round * 10));
        }

        s = s.Run(new C.Tick(Mid), start.AddSeconds(61));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Contains("completion timeout 60000 ms", s.RollbackReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Recover_advances_the_epoch_and_fences_stale_commands()
    {
        var s = AdvanceTo(MigrationPhase.Placed);
        var old = s.Epoch;
        s = s.Run(new C.Recover(Mid), T0.AddMinutes(1));
        Assert.Equal(old.Next(), s.Epoch);
        Assert.Equal(MigrationPhase.Placed, s.Phase);
        var stale = s.Decide(new C.RecordAdmitted(Mid, old), T0);
        Assert.Equal(RejectionCode.StaleEpoch, stale.Code);
        Assert.Contains("stale epoch 0 < current 1", stale.Reason, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.FutureEpoch, s.Decide(new C.RecordAdmitted(Mid, s.Epoch.Next()), T0).Code);
        Assert.Equal(s.Epoch, s.NextAction().Epoch);
    }

    [Theory]
    [InlineData(MigrationPhase.TargetPrepared)]
    [InlineData(MigrationPhase.PreCopying)]
    [InlineData(MigrationPhase.SwitchoverStarted)]
    [InlineData(MigrationPhase.TargetLoaded)]
    public void Recover_while_a_stream_may_be_open_rolls_back(MigrationPhase phase)
    {
        var s = AdvanceTo(phase).Run(new C.Recover(Mid), T0.AddMinutes(1));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Equal(Epoch.Of(1), s.Epoch);
        var resume = Assert.IsType<A.ResumeSource>(s.NextAction());
        Assert.Equal(Epoch.Of(1), resume.Epoch);
    }

    [Theory]
    [InlineData(MigrationPhase.Committed)]
    [InlineData(MigrationPhase.TargetRunning)]
    [InlineData(MigrationPhase.SourceReleased)]
    public void Recover_after_commit_goes_forward(MigrationPhase phase)
    {
        var s = AdvanceTo(phase).Run(new C.Recover(Mid), T0.AddMinutes(1));
        Assert.Equal(phase, s.Phase);
        var now = T0.AddMinutes(1);
        Assert.Equal(MigrationPhase.Completed, Drive(s, ref now).Phase);
    }

    [Fact]
    public void Recover_when_ended_changes_nothing()
    {
        var now = T0;
        var s = Drive(Requested(), ref now);
        Assert.True(s.Decide(new C.Recover(Mid), now).Accepted);
        Assert.Empty(s.Decide(new C.Recover(Mid), now).Events);
        Assert.Equal(RejectionCode.Terminal, s.Decide(new C.RecordSourceReleased(Mid, s.Epoch), now).Code);
    }

    [Fact]
    public void Requests_are_validated_and_idempotent()
    {
        var s = Requested();
        Assert.Equal(RejectionCode.Duplicate, s.Decide(Request(), T0).Code);
        Assert.Equal(RejectionCode.Invalid, s.Decide(Request(2), T0).Code);
        var empty = MigrationState.Empty(Mid);
        Assert.Equal(RejectionCode.Invalid, empty.Decide(new C.RequestMigration(Mid, Vm, []), T0).Code);
        var bad = empty.Decide(Request(policy: MigrationPolicy.Default with { MaxPreCopyRounds = 0 }), T0);
        Assert.Contains("MaxPreCopyRounds = 0", bad.Reason, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.WrongMigration, empty.Decide(new C.Tick(MigrationId.Parse("other")), T0).Code);
        Assert.Equal(RejectionCode.WrongPhase, empty.Decide(new C.Abort(Mid), T0).Code);
    }

    [Fact]
    public void Placement_must_match_the_request()
    {
        var s = Requested(2);
        Assert.Equal(RejectionCode.Invalid, s.Decide(new C.RecordPlacement(Mid, s.Epoch, Target(1)), T0).Code);
        Assert.True(s.Decide(new C.RecordPlacement(Mid, s.Epoch, Target(2)), T0).Accepted);
    }

    [Fact]
    public void Duplicate_outcomes_are_rejected_as_duplicates()
    {
        var s = AdvanceTo(MigrationPhase.TargetLoaded);
        Assert.Equal(RejectionCode.Duplicate, s.Decide(new C.RecordTargetPrepared(Mid, s.Epoch), T0).Code);
        Assert.Equal(RejectionCode.WrongPhase, s.Decide(new C.RecordSourceReleased(Mid, s.Epoch), T0).Code);
    }

    [Fact]
    public void Workload_runs_nowhere_between_stop_and_commit()
    {
        Assert.Equal([HostA], AdvanceTo(MigrationPhase.SwitchoverStarted).WorkloadRunningOn());
        Assert.Empty(AdvanceTo(MigrationPhase.StateTransferred).WorkloadRunningOn());
        Assert.Empty(AdvanceTo(MigrationPhase.TargetLoaded).WorkloadRunningOn());
        Assert.Equal([HostB], AdvanceTo(MigrationPhase.Committed).WorkloadRunningOn());
    }

    [Fact]
    public void Apply_throws_on_impossible_events()
    {
        var s = AdvanceTo(MigrationPhase.Placed);
        Assert.Throws<InvalidOperationException>(() => s.Apply(new E.MigrationCommitted(Mid, s.Epoch, T0, s.Vfs)));
        Assert.Throws<InvalidOperationException>(() => s.Apply(new E.MigrationAdmitted(MigrationId.Parse("other"), s.Epoch, T0)));
        var recovered = s.Run(new C.Recover(Mid), T0);
        Assert.Throws<InvalidOperationException>(() => recovered.Apply(new E.MigrationAdmitted(Mid, Epoch.Zero, T0)));
    }
}
