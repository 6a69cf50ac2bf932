using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using static Orchestrator.Domain.Tests.Fixtures;
using A = Orchestrator.Domain.Migrations.MigrationActions;
using C = Orchestrator.Domain.Migrations.MigrationCommands;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Tests.Migrations;

/// <summary>Every migration ends: what can go neither forward nor back ends Failed with a code (DESIGN.md §4).</summary>
public sealed class MigrationFailureTests
{
    private static MigrationState AdvanceTo(MigrationPhase phase, MigrationPolicy? policy = null)
    {
        var now = T0;
        return Fixtures.AdvanceTo(phase, ref now, policy);
    }

    private static MigrationState RollingBackFromPreCopy(MigrationPolicy? policy = null) =>
        AdvanceTo(MigrationPhase.PreCopying, policy).Run(new C.Abort(Mid), T0.AddMinutes(1));

    private static E.MigrationFailed FailedBy(MigrationState s, IMigrationCommand command, DateTimeOffset now)
    {
        var result = s.Decide(command, now);
        Assert.True(result.Accepted, result.Reason);
        return Assert.IsType<E.MigrationFailed>(Assert.Single(result.Events));
    }

    private static void AssertEnded(MigrationState s, FailureCode code)
    {
        Assert.Equal(MigrationPhase.Failed, s.Phase);
        Assert.True(s.IsTerminal);
        Assert.Equal(code, s.FailureCode);
        Assert.Empty(s.Reservations);
        Assert.Empty(s.WorkloadRunningOn());
        var done = Assert.IsType<A.Done>(s.NextAction());
        Assert.Equal(MigrationPhase.Failed, done.Outcome);
        Assert.StartsWith(code.ToString(), done.Reason, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.Terminal, s.Decide(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "late"), T0.AddHours(1)).Code);
        Assert.Empty(s.Decide(new C.Recover(Mid), T0.AddHours(1)).Events);
        Assert.Empty(s.Decide(new C.Tick(Mid), T0.AddHours(1)).Events);
    }

    [Fact]
    public void Retries_after_commit_are_bounded_by_MaxRetries()
    {
        var s = AdvanceTo(MigrationPhase.Committed, MigrationPolicy.Default with { MaxRetries = 2 });
        var held = s.Reservations;
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO"), T0.AddMinutes(1));
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO"), T0.AddMinutes(2));
        Assert.Equal(MigrationPhase.Committed, s.Phase);
        Assert.Equal(2, s.NextAction().Attempt);

        var failed = FailedBy(s, new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO again"), T0.AddMinutes(3));
        Assert.Equal(FailureCode.RetriesExhausted, failed.Code);
        Assert.Equal(MigrationStep.StartTarget, failed.Step);
        Assert.Equal(MigrationPhase.Committed, failed.FromPhase);
        Assert.Equal(held, failed.Reservations);
        Assert.Contains("MaxRetries = 2", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("EIO again", failed.Reason, StringComparison.Ordinal);
        Assert.IsAssignableFrom<ICheckpointEvent>(failed);
        AssertEnded(s.Apply(failed), FailureCode.RetriesExhausted);
    }

    [Fact]
    public void Retries_during_rollback_are_bounded_by_the_default_MaxRetries()
    {
        var s = RollingBackFromPreCopy();
        var now = T0.AddMinutes(2);
        for (var i = 1; i <= MigrationPolicy.DefaultMaxRetries; i++)
        {
            s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "EIO"), now = now.AddSeconds(1));
            Assert.Equal(MigrationPhase.RollingBack, s.Phase);
            Assert.Equal(i, s.Attempt);
        }

        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "EIO"), now.AddSeconds(1));
        AssertEnded(s, FailureCode.RetriesExhausted);
        Assert.Equal(MigrationStep.ResumeSource, s.FailedStep);
    }

    [Fact]
    public void Retries_during_rollback_stay_bounded_across_coordinator_recoveries()
    {
        // Chaos seed 1 (stop 13): ResumeSource retried for 2.5 minutes across three incarnations, each counting from 0.
        var s = RollingBackFromPreCopy(MigrationPolicy.Default with { MaxRetries = 2 });
        var now = T0.AddMinutes(2);
        for (var i = 1; i <= 2; i++)
        {
            s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "EIO"), now = now.AddSeconds(1));
            s = s.Run(new C.Recover(Mid), now = now.AddSeconds(1));
            Assert.Equal(i, s.Attempt);
        }

        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "EIO"), now.AddSeconds(1));
        AssertEnded(s, FailureCode.RetriesExhausted);
    }

    [Fact]
    public void A_journal_whose_retries_counted_again_after_a_recovery_still_replays()
    {
        // Written before retries counted across incarnations: StepRetried 1, MigrationRecovered, StepRetried 1.
        var s = RollingBackFromPreCopy(MigrationPolicy.Default with { MaxRetries = 2 });
        var at = T0.AddMinutes(2);
        s = s.Apply(new E.StepRetried(Mid, s.Epoch, at, MigrationStep.ResumeSource, 1, "EIO"));
        s = s.Apply(new E.MigrationRecovered(Mid, s.Epoch.Next(), at.AddSeconds(1), MigrationPhase.RollingBack));
        s = s.Apply(new E.StepRetried(Mid, s.Epoch, at.AddSeconds(2), MigrationStep.ResumeSource, 1, "EIO"));
        Assert.Equal(2, s.Attempt);
        // A count that skips ahead is still impossible.
        var skipped = Assert.Throws<InvalidOperationException>(() =>
            s.Apply(new E.StepRetried(Mid, s.Epoch, at.AddSeconds(3), MigrationStep.ResumeSource, 4, "EIO")));
        Assert.Contains("impossible event StepRetried", skipped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_completed_rollback_step_resets_the_count()
    {
        var s = RollingBackFromPreCopy(MigrationPolicy.Default with { MaxRetries = 1 });
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "EIO"), T0.AddMinutes(2));
        s = s.Run(new C.RecordSourceResumed(Mid, s.Epoch), T0.AddMinutes(3));
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.DestroyTarget, s.Epoch, "EBUSY"), T0.AddMinutes(4));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        var now = T0.AddMinutes(5);
        Assert.Equal(MigrationPhase.RolledBack, Drive(s, ref now).Phase);
    }

    [Fact]
    public void Progress_timeouts_after_commit_are_bounded_too()
    {
        var s = AdvanceTo(MigrationPhase.TargetRunning, MigrationPolicy.Default with { MaxRetries = 1 });
        var at = s.LastProgressAt!.Value.AddSeconds(31);
        s = s.Run(new C.Tick(Mid), at);
        Assert.Equal(1, s.Attempt);

        var failed = FailedBy(s, new C.Tick(Mid), at.AddSeconds(31));
        Assert.Equal(FailureCode.RetriesExhausted, failed.Code);
        Assert.Equal(MigrationStep.ReleaseSource, failed.Step);
        Assert.Contains("no progress", failed.Reason, StringComparison.Ordinal);
        AssertEnded(s.Apply(failed), FailureCode.RetriesExhausted);
    }

    [Fact]
    public void Progress_timeouts_during_rollback_are_bounded_too()
    {
        var s = RollingBackFromPreCopy(MigrationPolicy.Default with { MaxRetries = 0 });
        var failed = FailedBy(s, new C.Tick(Mid), s.LastProgressAt!.Value.AddSeconds(30));
        Assert.Equal(FailureCode.RetriesExhausted, failed.Code);
        Assert.Equal(MigrationPhase.RollingBack, failed.FromPhase);
    }

    [Fact]
    public void A_missing_source_vf_during_rollback_fails_at_once_as_SourceLost()
    {
        var s = RollingBackFromPreCopy();
        var failed = FailedBy(s, new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch,
            "ENOENT: VF 0 on 0000:3b:00.0 does not exist", StepFault.VfMissing), T0.AddMinutes(2));
        Assert.Equal(FailureCode.SourceLost, failed.Code);
        Assert.Equal(MigrationPhase.RollingBack, failed.FromPhase);
        Assert.Equal(2, failed.Reservations.Count);
        Assert.Contains("ENOENT", failed.Reason, StringComparison.Ordinal);
        AssertEnded(s.Apply(failed), FailureCode.SourceLost);
    }

    [Fact]
    public void A_missing_vf_elsewhere_in_rollback_is_retried()
    {
        // Destroying a missing VF succeeds on the device; a VfMissing fault of another step is an ordinary failure.
        var s = RollingBackFromPreCopy();
        s = s.Run(new C.RecordSourceResumed(Mid, s.Epoch), T0.AddMinutes(2));
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.DestroyTarget, s.Epoch, "ENOENT", StepFault.VfMissing), T0.AddMinutes(3));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        Assert.Equal(1, s.Attempt);
    }

    [Fact]
    public void Before_commit_a_missing_vf_rolls_back_first()
    {
        var s = AdvanceTo(MigrationPhase.SwitchoverStarted);
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StopAndCopy, s.Epoch, "ENOENT", StepFault.VfMissing), T0.AddMinutes(1));
        Assert.Equal(MigrationPhase.RollingBack, s.Phase);
        var failed = FailedBy(s, new C.ReportStepFailed(Mid, MigrationStep.ResumeSource, s.Epoch, "ENOENT", StepFault.VfMissing), T0.AddMinutes(2));
        Assert.Equal(FailureCode.SourceLost, failed.Code);
    }

    [Fact]
    public void A_missing_target_vf_after_commit_fails_as_TargetLost()
    {
        var s = AdvanceTo(MigrationPhase.Committed);
        var failed = FailedBy(s, new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "ENOENT: VF 0 does not exist", StepFault.VfMissing), T0.AddMinutes(1));
        Assert.Equal(FailureCode.TargetLost, failed.Code);
        AssertEnded(s.Apply(failed), FailureCode.TargetLost);
    }

    [Fact]
    public void A_target_reset_after_commit_fails_as_TargetStateLost_and_never_completes()
    {
        var s = AdvanceTo(MigrationPhase.Committed);
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "EIO", StepFault.Other), T0.AddMinutes(1));
        Assert.Equal(MigrationPhase.Committed, s.Phase); // an ordinary failure is retried
        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "host-b/0000:3b:00.0/vf0 was reset out of ERROR", StepFault.DeviceStateLost), T0.AddMinutes(2));
        AssertEnded(s, FailureCode.TargetStateLost);
        Assert.Contains("reset out of ERROR", s.FailureReason, StringComparison.Ordinal);
        Assert.Equal(RejectionCode.Terminal, s.Decide(new C.RecordTargetRunning(Mid, s.Epoch), T0.AddMinutes(3)).Code);
        Assert.DoesNotContain(s.Timeline, t => t.Phase is MigrationPhase.TargetRunning or MigrationPhase.Completed);
    }

    [Fact]
    public void Failed_replays_to_the_same_state()
    {
        var journal = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Mid).Run(Request(), T0, journal);
        var now = T0;
        while (s.Phase != MigrationPhase.Committed)
        {
            s = s.Run(Success(s)!, now = now.AddMilliseconds(10), journal);
        }

        s = s.Run(new C.ReportStepFailed(Mid, MigrationStep.StartTarget, s.Epoch, "reset", StepFault.DeviceStateLost), now.AddSeconds(1), journal);
        Assert.Equal(Structure(s), Structure(MigrationState.Replay(Mid, journal)));
        Assert.Throws<InvalidOperationException>(() => s.Apply(new E.MigrationCompleted(Mid, s.Epoch, now.AddSeconds(2), [])));
    }

    [Fact]
    public void Failed_is_terminal_and_reached_only_from_rollback_or_after_commit()
    {
        Assert.True(MigrationProtocol.IsTerminal(MigrationPhase.Failed));
        Assert.Contains(MigrationPhase.Failed, MigrationProtocol.CheckpointPhases);
        Assert.Equal(
            [MigrationPhase.Committed, MigrationPhase.TargetRunning, MigrationPhase.SourceReleased, MigrationPhase.RollingBack],
            MigrationProtocol.Arcs.Where(a => a.To == MigrationPhase.Failed).Select(a => a.From));
        Assert.Equal(MigrationPhase.RolledBack + 1, MigrationPhase.Failed); // appended: stored numbers keep their meaning
    }

    [Fact]
    public void MaxRetries_defaults_and_is_validated()
    {
        Assert.Equal(5, MigrationPolicy.Default.MaxRetries);
        Assert.Equal(5, new MigrationPolicy().MaxRetries);
        var bad = MigrationState.Empty(Mid).Decide(Request(policy: MigrationPolicy.Default with { MaxRetries = -1 }), T0);
        Assert.Equal(RejectionCode.Invalid, bad.Code);
        Assert.Contains("MaxRetries = -1", bad.Reason, StringComparison.Ordinal);
        Assert.Empty((MigrationPolicy.Default with { MaxRetries = 0 }).Validate());
    }
}
