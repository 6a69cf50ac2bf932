using Orchestrator.Domain.Convergence;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Tests.Convergence;

public sealed class ConvergenceModelTests
{
    private static readonly TimeSpan Ms20 = TimeSpan.FromMilliseconds(20);

    [Fact]
    public void Predicts_remaining_over_bandwidth_plus_latencies()
    {
        var p = ConvergenceModel.Predict(250_000_000, 1e9, 1e8, Ms20, TimeSpan.FromMilliseconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(300), p.Downtime);
        Assert.True(p.Converging);
    }

    [Fact]
    public void The_switchover_overhead_counts_and_the_reason_names_every_part()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(310), ConvergenceModel.Predict(250_000_000, 1e9, 1e8, Ms20, TimeSpan.FromMilliseconds(30), switchoverOverhead: TimeSpan.FromMilliseconds(10)).Downtime);

        // 200 ms of state and 20 + 20 ms of device fit a 300 ms limit; 70 ms of control on top do not.
        var input = new ConvergenceInput(1, 200_000_000, 1e9, 1e6, Ms20, Ms20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), SwitchoverOverhead: TimeSpan.FromMilliseconds(70));
        var decision = ConvergenceModel.Decide(input, MigrationPolicy.Default);
        Assert.Equal(ConvergenceVerdict.Continue, decision.Verdict);
        Assert.Equal(TimeSpan.FromMilliseconds(310), decision.Prediction.Downtime);
        Assert.Contains("(state 200 ms + device stop/load 40 ms + control 70 ms)", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(ConvergenceVerdict.SwitchOver, ConvergenceModel.Decide(input with { SwitchoverOverhead = TimeSpan.FromMilliseconds(60) }, MigrationPolicy.Default).Verdict);
    }

    [Fact]
    public void Bandwidth_cap_applies_and_zero_bandwidth_never_converges()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), ConvergenceModel.Predict(200_000_000, 1e9, 0, TimeSpan.Zero, TimeSpan.Zero, 100_000_000).Downtime);
        Assert.Equal(TimeSpan.MaxValue, ConvergenceModel.Predict(1, 0, 0, TimeSpan.Zero, TimeSpan.Zero).Downtime);
    }

    [Theory]
    [InlineData(100_000_000, 1, NonConvergenceAction.Abort, ConvergenceVerdict.SwitchOver)]
    [InlineData(1_000_000_000, 1, NonConvergenceAction.Abort, ConvergenceVerdict.Continue)]
    [InlineData(1_000_000_000, 30, NonConvergenceAction.Abort, ConvergenceVerdict.Abort)]
    [InlineData(1_000_000_000, 30, NonConvergenceAction.ForceSwitchover, ConvergenceVerdict.ForceSwitchover)]
    [InlineData(1_000_000_000, 30, NonConvergenceAction.KeepWaiting, ConvergenceVerdict.Continue)]
    public void Decides_per_round(long remaining, int round, NonConvergenceAction action, ConvergenceVerdict expected)
    {
        var input = new ConvergenceInput(round, remaining, 1e9, 1e6, Ms20, Ms20, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
        Assert.Equal(expected, ConvergenceModel.Decide(input, MigrationPolicy.Default with { NonConvergenceAction = action }).Verdict);
    }

    [Fact]
    public void Waits_for_target_readiness_within_the_ack_wait()
    {
        var policy = MigrationPolicy.Default with { SwitchoverAckWait = TimeSpan.FromSeconds(2) };
        var input = new ConvergenceInput(1, 1_000, 1e9, 0, Ms20, Ms20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), TargetReady: false, ConvergedFor: TimeSpan.FromSeconds(1));
        Assert.Equal(ConvergenceVerdict.WaitForTarget, ConvergenceModel.Decide(input, policy).Verdict);
        Assert.Equal(ConvergenceVerdict.SwitchOver, ConvergenceModel.Decide(input with { ConvergedFor = TimeSpan.FromSeconds(2) }, policy).Verdict);
    }

    [Fact]
    public void Completion_timeout_scales_per_gib_with_a_floor()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), MigrationPolicy.Default.CompletionTimeoutFor(100_000_000));
        Assert.Equal(TimeSpan.FromSeconds(240), MigrationPolicy.Default.CompletionTimeoutFor(4L << 30));
        Assert.Equal(TimeSpan.FromMilliseconds(500), MigrationPolicy.Default.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(30), MigrationPolicy.Default.RetryDelay(20));
    }

    [Fact]
    public void Policy_validation_names_key_and_value()
    {
        var errors = (MigrationPolicy.Default with { DowntimeLimit = TimeSpan.Zero, BandwidthCapBytesPerSecond = -5, ProgressTimeout = TimeSpan.FromSeconds(-1) }).Validate();
        Assert.Contains(errors, e => e.Contains("DowntimeLimit = 0 ms", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("BandwidthCapBytesPerSecond = -5", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ProgressTimeout = -1000 ms", StringComparison.Ordinal));
        Assert.Empty(MigrationPolicy.Default.Validate());
    }
}
