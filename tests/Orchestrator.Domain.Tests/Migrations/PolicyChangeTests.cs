using Orchestrator.Domain.Migrations;
using static Orchestrator.Domain.Tests.Fixtures;
using C = Orchestrator.Domain.Migrations.MigrationCommands;
using E = Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Domain.Tests.Migrations;

/// <summary>A running migration's downtime limit and bandwidth cap change until its switchover, and only then.</summary>
public sealed class PolicyChangeTests
{
    private static MigrationState AdvanceTo(MigrationPhase phase)
    {
        var now = T0;
        return Fixtures.AdvanceTo(phase, ref now);
    }

    [Fact]
    public void Before_switchover_the_change_is_one_event_with_the_whole_new_policy_and_the_same_change_again_is_none()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        var result = s.Decide(new C.ChangePolicy(Mid, TimeSpan.FromSeconds(2), 1_000_000), T0.AddSeconds(1));
        var changed = Assert.IsType<E.PolicyChanged>(Assert.Single(result.Events));
        Assert.Equal(s.Policy with { DowntimeLimit = TimeSpan.FromSeconds(2), BandwidthCapBytesPerSecond = 1_000_000 }, changed.Policy);
        var after = s.Apply(changed);
        Assert.Equal(changed.Policy, after.Policy);
        Assert.Equal(MigrationPhase.PreCopying, after.Phase);

        var again = after.Decide(new C.ChangePolicy(Mid, TimeSpan.FromSeconds(2), null), T0.AddSeconds(2));
        Assert.True(again.Accepted);
        Assert.Empty(again.Events);
        var cleared = Assert.IsType<E.PolicyChanged>(Assert.Single(after.Decide(new C.ChangePolicy(Mid, null, null, ClearBandwidthCap: true), T0.AddSeconds(3)).Events));
        Assert.Null(cleared.Policy.BandwidthCapBytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(2), cleared.Policy.DowntimeLimit);
    }

    [Theory]
    [InlineData(MigrationPhase.SwitchoverStarted, RejectionCode.WrongPhase)]
    [InlineData(MigrationPhase.Committed, RejectionCode.WrongPhase)]
    [InlineData(MigrationPhase.Completed, RejectionCode.Terminal)]
    public void From_switchover_on_it_is_refused(MigrationPhase phase, RejectionCode code)
    {
        var result = AdvanceTo(phase).Decide(new C.ChangePolicy(Mid, TimeSpan.FromSeconds(2), null), T0.AddHours(1));
        Assert.False(result.Accepted);
        Assert.Equal(code, result.Code);
    }

    [Fact]
    public void A_limit_or_cap_of_zero_is_refused()
    {
        var s = AdvanceTo(MigrationPhase.PreCopying);
        Assert.Equal(RejectionCode.Invalid, s.Decide(new C.ChangePolicy(Mid, TimeSpan.Zero, null), T0.AddSeconds(1)).Code);
        Assert.Equal(RejectionCode.Invalid, s.Decide(new C.ChangePolicy(Mid, null, 0), T0.AddSeconds(1)).Code);
    }
}
