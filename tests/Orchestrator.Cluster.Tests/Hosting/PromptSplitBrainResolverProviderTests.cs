using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class PromptSplitBrainResolverProviderTests() : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING")
{
    [Fact]
    public void This_akka_cluster_has_the_resolver_tick_the_provider_sends()
    {
        // Found by name in Akka.Cluster's internals: an upgrade that renames it must fail here, not fall back quietly.
        var tick = PromptSplitBrainResolverProvider.ResolverTick;
        Assert.NotNull(tick);
        Assert.Equal("Akka.Cluster.SBR.SplitBrainResolverBase+Tick", tick.GetType().FullName);
    }

    [Fact]
    public async Task The_ticker_starts_the_resolver_ticks_it_and_stops_with_it()
    {
        var ticker = Sys.ActorOf(PromptSplitBrainResolverProvider.TickerProps(Props.Create(() => new Forwarder(TestActor)), TimeSpan.FromMilliseconds(20)));
        for (var i = 0; i < 3; i++)
        {
            ExpectMsg<object>(m => ReferenceEquals(m, PromptSplitBrainResolverProvider.ResolverTick));
        }

        // The resolver stops itself when its node is removed; its parent must not outlive it, ticking dead letters.
        var resolver = await Sys.ActorSelection(ticker.Path / "resolver").ResolveOne(RemainingOrDefault);
        Watch(ticker);
        Sys.Stop(resolver);
        // Ticks already on their way may come first.
        FishForMessage(m => m is Terminated t && t.ActorRef.Equals(ticker));
    }

    [Fact]
    public async Task A_node_runs_akkas_resolver_under_the_provider()
    {
        var settings = new NodeSettings { NodeName = "sbr", Port = 0 };
        var system = ActorSystem.Create("sbr", OrchestratorConfig.Build(settings).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            Assert.IsType<PromptSplitBrainResolverProvider>(cluster.DowningProvider);
            // akka.cluster.down-removal-margin, through Akka's provider.
            Assert.Equal(TimeSpan.FromMilliseconds(100), cluster.DowningProvider.DownRemovalMargin);
            // The cluster daemon starts its downing actor once the cluster extension is up, not before Get returns.
            await AwaitAssertAsync(async () => Assert.NotNull(
                await system.ActorSelection("/system/cluster/core/daemon/downingProvider/resolver").ResolveOne(TimeSpan.FromSeconds(1))));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(to.Forward);
    }
}
