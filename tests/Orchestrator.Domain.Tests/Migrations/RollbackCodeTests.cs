using Orchestrator.Domain.Migrations;
using static Orchestrator.Domain.Tests.Fixtures;
using C = Orchestrator.Domain.Migrations.MigrationCommands;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Tests.Migrations;

/// <summary>Every rollback carries a code a scheduler can act on, and rollbacks journaled before codes get one too.</summary>
public sealed class RollbackCodeTests
{
    private static RollbackCode? CodeAfter(MigrationState s, IMigrationCommand command, DateTimeOffset now)
    {
        var result = s.Decide(command, now);
        Assert.True(result.Accepted, result.Reason);
        var started = Assert.Single(result.Events.OfType<E.RollbackStarted>());
        var after = result.Events.Aggregate(s, (state, e) => state.Apply(e));
        Assert.Equal(started.Code, after.RollbackCode);
        return after.RollbackCode;
    }

    [Theory]
    [InlineData(MigrationPhase.Requested)]
    [InlineData(MigrationPhase.Placed)]
    [InlineData(MigrationPhase.TargetPrepared)]
    [InlineData(MigrationPhase.PreCopying)]
    [InlineData(MigrationPhase.StateTransferred)]
    public void A_failed_step_before_commit_rolls_back_with_the_code_of_its_side(MigrationPhase phase)
    {
        var now = T0;
        var s = AdvanceTo(phase, ref now);
        var code = CodeAfter(s, new C.ReportStepFailed(Mid, s.CurrentStep, s.Epoch, "EIO"), now.AddSeconds(1));
        Assert.Equal(RollbackCodes.FromStep(s.CurrentStep), code);
        Assert.NotEqual(RollbackCode.Unspecified, code);
    }

    [Fact]
    public void An_abort_is_Aborted_and_a_stalled_migration_is_Timeout()
    {
        var now = T0;
        var s = AdvanceTo(MigrationPhase.PreCopying, ref now);
        Assert.Equal(RollbackCode.Aborted, CodeAfter(s, new C.Abort(Mid, "evacuation e-1 cancelled: test"), now.AddSeconds(1)));
        Assert.Equal(RollbackCode.Timeout, CodeAfter(s, new C.Tick(Mid), now.AddHours(2)));
    }

    [Fact]
    public void A_rollback_journaled_without_a_code_gets_the_code_of_its_failed_step()
    {
        var now = T0;
        var s = AdvanceTo(MigrationPhase.TargetPrepared, ref now);
        var legacy = new E.RollbackStarted(Mid, s.Epoch, now, "LoadTarget failed: EIO", MigrationStep.LoadTarget, s.Phase, [MigrationStep.DestroyTarget], s.Vfs, s.Reservations);
        Assert.Equal(RollbackCode.TargetFailed, s.Apply(legacy).RollbackCode);
        Assert.Equal(RollbackCode.Unspecified, s.Apply(legacy with { FailedStep = MigrationStep.None }).RollbackCode);
    }
}
