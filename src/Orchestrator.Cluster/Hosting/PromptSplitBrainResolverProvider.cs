using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.SBR;
using Akka.Event;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Akka's split-brain resolver, unchanged (<c>akka.cluster.split-brain-resolver</c>: its strategy and
/// <c>stable-after</c>), asked to decide every <see cref="TickInterval"/> instead of on its own one-second tick.
/// <para>
/// The resolver downs the unreachable side once nothing changed for <c>stable-after</c>, but it looks only when its
/// tick comes (a fixed second, <c>SplitBrainResolverBase.TickInterval</c>, not configurable): a crashed node was
/// downed 0–1 s after its <c>stable-after</c> ran out, and its migrations waited that long for their coordinators to
/// move (issue 16's recovery figure). The decision is the resolver's own, with the same inputs; a tick only makes it
/// look again, so ticking more often changes when a decision that is due is taken, never which.
/// </para>
/// </summary>
public sealed class PromptSplitBrainResolverProvider : IDowningProvider
{
    /// <summary>How often the resolver is asked to decide.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    private readonly SplitBrainResolverProvider _resolver;

    /// <summary>Made by Akka.Cluster from <c>akka.cluster.downing-provider-class</c>.</summary>
    public PromptSplitBrainResolverProvider(ActorSystem system, Akka.Cluster.Cluster cluster)
    {
        _resolver = new SplitBrainResolverProvider(system, cluster);
    }

    /// <summary>The resolver's tick message (internal to Akka.Cluster), or null if this Akka.Cluster has none.</summary>
    internal static object? ResolverTick { get; } = typeof(SplitBrainResolverProvider).Assembly
        .GetType("Akka.Cluster.SBR.SplitBrainResolverBase+Tick")
        ?.GetField("Instance", BindingFlags.Public | BindingFlags.Static)
        ?.GetValue(null);

    /// <inheritdoc />
    public TimeSpan DownRemovalMargin => _resolver.DownRemovalMargin;

    /// <inheritdoc />
    public Props DowningActorProps
    {
        get
        {
            var resolver = _resolver.DowningActorProps;
            return TickerProps(resolver, TickInterval);
        }
    }

    /// <summary>The parent of the actor <paramref name="resolver"/> makes, which it sends the resolver's tick every <paramref name="interval"/>.</summary>
    internal static Props TickerProps(Props resolver, TimeSpan interval) =>
        Props.Create(() => new Ticker(resolver, interval));

    /// <summary>The resolver's parent: starts it and sends it a tick every interval; stops with it.</summary>
    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        private const string TickTimer = "tick";

        public Ticker(Props resolverProps, TimeSpan interval)
        {
            // The cluster daemon runs its downing actor on its own dispatcher; the resolver keeps to it.
            var props = resolverProps.Dispatcher == Deploy.NoDispatcherGiven
                ? resolverProps.WithDispatcher(Context.Props.Dispatcher)
                : resolverProps;
            var resolver = Context.Watch(Context.ActorOf(props, "resolver"));
            // The resolver stops itself once this node is removed from the cluster.
            Receive<Terminated>(t => t.ActorRef.Equals(resolver), _ => Context.Stop(Self));
            if (ResolverTick is { } tick)
            {
                Receive<object>(m => ReferenceEquals(m, tick), m => resolver.Tell(m));
                Timers.StartPeriodicTimer(TickTimer, tick, interval);
            }
            else
            {
                Context.GetLogger().Warning(
                    "Akka.Cluster's split-brain resolver has no tick message this build knows: it decides on its own 1 s tick");
            }
        }

        public ITimerScheduler Timers { get; set; } = null!;
    }
}
