using Akka.Actor;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Domain.Pfs;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>
/// The timings a node runs with are validated together before anything starts: each bad one is named with its value,
/// and a node does not half-start with it.
/// </summary>
public class RuntimeOptionsTests
{
    public static TheoryData<string, string> BadOptions() => new()
    {
        { "step", "CoordinatorSettings.StepTimeout (runtime.step-timeout) = 0ms must be positive" },
        { "ask", "RuntimeOptions.ClientAskTimeout = -1000ms must be positive" },
        { "snapshots", "RuntimeOptions.SnapshotEvery = 0 must be at least 1" },
        { "rounds", "PfActorSettings.MinPreCopyRound = 3000ms must not exceed MaxPreCopyRound = 2000ms" },
        { "ports", "PfActorSettings.TransferPorts = 9000-8000 is not a range of TCP ports" },
        { "ledger", "PfActorSettings.Ledger.MaxTombstones = 0 must be at least 1" },
        { "reconcile", "runtime.reconcile-interval: '00:00:00' must be positive" },
        { "retention", "runtime.index-retention = 0ms must be positive" },
    };

    [Fact]
    public void The_defaults_and_the_test_defaults_are_valid()
    {
        Assert.Empty(new RuntimeOptions().Validate());
        Assert.Empty(TestCluster.DefaultOptions.Validate());
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_timing_is_named_with_its_value(string which, string error)
    {
        Assert.Contains(error, Bad(which).Validate());
    }

    [Fact]
    public async Task A_node_with_a_bad_timing_starts_nothing()
    {
        // A plain actor system: validation comes before the runtime touches the cluster or starts any actor.
        var system = ActorSystem.Create("runtime-options");
        try
        {
            var e = Assert.Throws<ArgumentException>(() => OrchestratorRuntime.Start(system, [], Bad("step")));
            Assert.Contains("runtime.step-timeout", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static RuntimeOptions Bad(string which)
    {
        var ok = new RuntimeOptions();
        return which switch
        {
            "step" => ok with { StepTimeout = TimeSpan.Zero },
            "ask" => ok with { ClientAskTimeout = TimeSpan.FromSeconds(-1) },
            "snapshots" => ok with { SnapshotEvery = 0 },
            "rounds" => ok with { Pf = new PfActorSettings { MinPreCopyRound = TimeSpan.FromSeconds(3) } },
            "ports" => ok with { Pf = new PfActorSettings { TransferPorts = (9000, 8000) } },
            "ledger" => ok with { Pf = new PfActorSettings { Ledger = new PfLedgerSettings { MaxTombstones = 0 } } },
            "reconcile" => ok with { ReconcileInterval = TimeSpan.Zero },
            "retention" => ok with { IndexRetention = ok.IndexRetention with { Window = TimeSpan.Zero } },
            _ => throw new ArgumentOutOfRangeException(nameof(which), which, "no such case"),
        };
    }
}
