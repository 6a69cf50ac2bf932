using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Domain.Tests.Fixtures;

namespace Orchestrator.Domain.Tests.Reconciliation;

public sealed class LeftoverRulesTests
{
    private static readonly PfId SourcePf = PfId.Parse("host-a/0000:3b:00.0");
    private static readonly PfId TargetPf = PfId.Parse("host-b/0000:3b:00.0");
    private static readonly VfId Source = SourcePf.Vf(0);
    private static readonly VfId Target = TargetPf.Vf(0);

    private static KnownMigration Migration(MigrationPhase phase, string id = "m-test-1", string workload = "vm-1", int minutes = 0) =>
        new(MigrationId.Parse(id), WorkloadId.Parse(workload), phase, 3, [(Source, Target)], T0.AddMinutes(minutes));

    private static Dictionary<MigrationId, KnownMigration> Index(params KnownMigration[] migrations) => migrations.ToDictionary(m => m.Id);

    private static LeftoverDecision One(ObservedVf vf, params KnownMigration[] migrations) =>
        Assert.Single(LeftoverRules.Decide([vf], [], Index(migrations)));

    private static ObservedVf Vf(VfId id, VfioDeviceState state, string? workload = "vm-1", string? owner = null) =>
        new(id, state, workload is null ? null : WorkloadId.Parse(workload), owner is null ? null : MigrationId.Parse(owner));

    [Theory]
    [InlineData(VfioDeviceState.Resuming)]
    [InlineData(VfioDeviceState.Stop)]
    [InlineData(VfioDeviceState.Error)]
    public void A_target_of_a_rolled_back_migration_that_cannot_run_is_destroyed(VfioDeviceState state)
    {
        var d = One(Vf(Target, state), Migration(MigrationPhase.RolledBack));
        Assert.Equal(LeftoverAction.DestroyTarget, d.Action);
        Assert.Equal(Mid, d.Migration);
        Assert.Equal(3, d.Epoch);
        Assert.Equal(state, d.ExpectedState);
        Assert.Contains("RolledBack migration m-test-1", d.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VfioDeviceState.Stop)]
    [InlineData(VfioDeviceState.Error)]
    public void The_vfs_of_a_failed_migration_are_left_to_an_operator_and_its_holds_freed(VfioDeviceState state)
    {
        var decisions = LeftoverRules.Decide(
            [Vf(Source, state), Vf(Target, VfioDeviceState.Error)],
            [new ObservedHold(Mid, LeftoverAction.FreeSlot, SourcePf, "migration slot held")],
            Index(Migration(MigrationPhase.Failed)));
        Assert.All(decisions.Where(d => d.Vf is not null), d => Assert.False(d.IsClean, d.Reason));
        Assert.Contains(decisions, d => d.Vf == Source && d.Reason.Contains("operator", StringComparison.Ordinal));
        var hold = Assert.Single(decisions, d => d.Vf is null);
        Assert.Equal(LeftoverAction.FreeSlot, hold.Action);
    }

    [Theory]
    [InlineData(MigrationPhase.PreCopying)]
    [InlineData(MigrationPhase.RollingBack)]
    [InlineData(MigrationPhase.Committed)]
    public void Nothing_a_live_migration_touches_is_cleaned(MigrationPhase phase)
    {
        var index = Index(Migration(phase));
        var decisions = LeftoverRules.Decide(
            [Vf(Target, VfioDeviceState.Resuming, owner: "m-test-1"), Vf(Source, VfioDeviceState.PreCopy)],
            [new ObservedHold(Mid, LeftoverAction.FreeSlot, TargetPf, "migration slot held")],
            index);
        Assert.All(decisions, d => Assert.False(d.IsClean));
        Assert.All(decisions, d => Assert.Contains($"live ({phase})", d.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void A_vf_the_pf_gives_to_a_migration_the_index_does_not_know_is_left()
    {
        var d = One(Vf(Target, VfioDeviceState.Resuming, owner: "m-unknown"));
        Assert.Null(d.Action);
        Assert.Contains("does not know m-unknown", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_of_a_completed_migration_is_released_unless_it_runs()
    {
        Assert.Equal(LeftoverAction.ReleaseSource, One(Vf(Source, VfioDeviceState.Stop), Migration(MigrationPhase.Completed)).Action);
        var running = One(Vf(Source, VfioDeviceState.Running), Migration(MigrationPhase.Completed));
        Assert.Null(running.Action); // maybe the workload's second copy, maybe a reused index: never guess
        Assert.Contains("operator", running.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_of_a_rolled_back_migration_is_resumed_and_a_running_one_is_fine()
    {
        Assert.Equal(LeftoverAction.ResumeSource, One(Vf(Source, VfioDeviceState.RunningP2P), Migration(MigrationPhase.RolledBack)).Action);
        Assert.Empty(LeftoverRules.Decide([Vf(Source, VfioDeviceState.Running)], [], Index(Migration(MigrationPhase.RolledBack))));
    }

    [Fact]
    public void The_running_target_of_a_completed_migration_is_the_workload()
    {
        Assert.Empty(LeftoverRules.Decide([Vf(Target, VfioDeviceState.Running)], [], Index(Migration(MigrationPhase.Completed))));
        Assert.Null(One(Vf(Target, VfioDeviceState.Stop), Migration(MigrationPhase.Completed)).Action);
    }

    [Fact]
    public void A_reused_index_follows_the_newest_claim_of_the_same_workload()
    {
        // vm-1 left host-a (Completed), then came back to the same index (Completed): the VF is its target now.
        var away = Migration(MigrationPhase.Completed, "m-away", minutes: 0);
        var back = new KnownMigration(MigrationId.Parse("m-back"), Vm, MigrationPhase.Completed, 1, [(Target, Source)], T0.AddMinutes(5));
        Assert.Empty(LeftoverRules.Decide([Vf(Source, VfioDeviceState.Running)], [], Index(away, back)));

        // An old rolled-back claim of another workload does not describe a VF that now serves vm-2.
        Assert.Null(One(Vf(Target, VfioDeviceState.Stop, workload: "vm-2"), Migration(MigrationPhase.RolledBack)).Action);
    }

    [Fact]
    public void An_unclaimed_vf_that_can_run_nothing_is_destroyed_and_a_labelled_one_is_left()
    {
        var orphan = One(Vf(Target, VfioDeviceState.Resuming, workload: null));
        Assert.Equal(LeftoverAction.DestroyTarget, orphan.Action);
        Assert.Null(orphan.Migration);
        Assert.Null(One(Vf(Target, VfioDeviceState.Error)).Action);
        Assert.Empty(LeftoverRules.Decide([Vf(Target, VfioDeviceState.Running, workload: null), Vf(Source, VfioDeviceState.Running)], [], Index()));
    }

    [Fact]
    public void Slots_and_reservations_of_ended_migrations_are_freed_and_unknown_ones_left()
    {
        var holds = new[]
        {
            new ObservedHold(MigrationId.Parse("m-done"), LeftoverAction.ReleaseReservation, null, "2 reservation(s)"),
            new ObservedHold(MigrationId.Parse("m-done"), LeftoverAction.FreeSlot, TargetPf, "migration slot held"),
            new ObservedHold(MigrationId.Parse("m-live"), LeftoverAction.FreeSlot, TargetPf, "queued at position 1"),
            new ObservedHold(MigrationId.Parse("m-ghost"), LeftoverAction.FreeSlot, TargetPf, "migration slot held"),
        };
        var decisions = LeftoverRules.Decide([], holds, Index(
            Migration(MigrationPhase.RolledBack, "m-done"),
            Migration(MigrationPhase.PreCopying, "m-live")));

        Assert.Equal(3, decisions.Count);
        Assert.Equal(LeftoverAction.FreeSlot, decisions[0].Action); // slots before reservations
        Assert.Null(decisions[1].Action);
        Assert.Contains("does not know", decisions[1].Reason, StringComparison.Ordinal);
        Assert.Equal(LeftoverAction.ReleaseReservation, decisions[2].Action);
        Assert.Contains("RolledBack migration m-done", decisions[2].Reason, StringComparison.Ordinal);
    }
}
