using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Switchover-ack: a pre-copy that converges before the target has taken the initial bytes (here a bandwidth cap
/// cuts round 1 short of them) waits for the target's readiness, so that the first image is loaded before the
/// downtime starts; with no wait it switches over at once.
/// </summary>
public class SwitchoverAckTests
{
    // eth-small holds 16 MiB; at 4 MiB/s a round (at most 2 s) reads about half of the first image. The limit is
    // wide, so that round 1 converges by the prediction alone.
    private static readonly MigrationPolicy Capped = MigrationPolicy.Default with
    {
        DowntimeLimit = TimeSpan.FromSeconds(30),
        BandwidthCapBytesPerSecond = 4L << 20,
        NonConvergenceAction = NonConvergenceAction.ForceSwitchover,
    };

    [Fact]
    public async Task A_converged_pre_copy_waits_for_the_target_to_have_the_initial_bytes_unless_the_policy_says_not_to()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        // The wait is long, so only the target's readiness ends it: the switchover comes after the round that read
        // the last initial bytes, never after round 1.
        var acked = await cluster.MigrateAsync(node, "m-acked", "vm-1", "host-b", Capped with { SwitchoverAckWait = TimeSpan.FromSeconds(60) });
        Assert.True(acked.State == MigrationPhase.Completed, $"{acked.State}: {acked.Reason}");
        Assert.True(acked.Rounds.Count >= 2, $"switched over after {acked.Rounds.Count} round(s)");
        Assert.True(acked.Rounds[0].BytesRemaining > 0, "round 1 read the whole first image: the cap did not bind");
        Assert.All(acked.Rounds, r => Assert.True(r.PredictedDowntimeMs <= 30_000, $"round {r.Round} predicted {r.PredictedDowntimeMs} ms"));

        var unacked = await cluster.MigrateAsync(node, "m-unacked", "vm-1", "host-a", Capped with { SwitchoverAckWait = TimeSpan.Zero });
        Assert.True(unacked.State == MigrationPhase.Completed, $"{unacked.State}: {unacked.Reason}");
        Assert.Single(unacked.Rounds);
    }
}
