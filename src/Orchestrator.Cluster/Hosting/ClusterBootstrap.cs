using Akka.Actor;
using Akka.Event;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// How a node joins its cluster through a static seed list, without ever forming a second cluster beside a running one.
/// </summary>
/// <remarks>
/// Akka lets the first seed of the list join itself when no other seed acknowledges it within
/// <c>seed-node-timeout</c>. When that node comes back after kill -9 while the others run, their acknowledgements can
/// be lost while they remove its old incarnation (seen in a chaos run: 5 s of lost answers, then a cluster of one beside
/// the running one, with its own shard coordinator and a second incarnation of every migration). Raising the timeout
/// is no cure, as the other seeds also wait that long between attempts at a cold start. Here a node joins through the
/// other seeds only (Akka's process for a non-first seed, which never joins itself), and the first seed forms a new
/// cluster only when every other seed has answered that it is not a member of one (a cold start), or when none has said
/// it is a member for <see cref="DefaultFormAfter"/> (the others are down: a whole-cluster restart).
/// </remarks>
public static class ClusterBootstrap
{
    /// <summary>Name of the actor every node runs to say whether it is a member.</summary>
    public const string ProbeName = "bootstrap-probe";

    /// <summary>How long the first seed waits for any other seed to say it is a member before it forms a cluster anyway.</summary>
    public static TimeSpan DefaultFormAfter { get; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts the probe and joins through <paramref name="seeds"/> (none, or only this node: join itself). The first
    /// seed forms a new cluster when every other seed says it is in none, or after <paramref name="formAfter"/>
    /// (default <see cref="DefaultFormAfter"/>) in which none said it is in one.
    /// </summary>
    public static void Join(ActorSystem system, IReadOnlyList<Address> seeds, TimeSpan? formAfter = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(seeds);
        var cluster = Akka.Cluster.Cluster.Get(system);
        system.ActorOf(Props.Create(() => new ProbeActor()), ProbeName);
        var others = seeds.Where(s => !s.Equals(cluster.SelfAddress)).Distinct().ToList();
        if (others.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
            return;
        }

        cluster.JoinSeedNodes(others); // never joins itself
        if (seeds[0].Equals(cluster.SelfAddress))
        {
            var window = formAfter ?? DefaultFormAfter;
            system.ActorOf(Props.Create(() => new FirstSeedActor(others, window)), "bootstrap-first-seed");
        }
    }

    /// <summary>Asks a node whether it is a member of a cluster.</summary>
    public sealed record Probe : IOrchestratorMessage
    {
        /// <summary>The one instance.</summary>
        public static Probe Instance { get; } = new();
    }

    /// <summary>The answer: <paramref name="Member"/> when the node is Up (or leaving) in a cluster.</summary>
    public sealed record ProbeAnswer(Address Node, bool Member) : IOrchestratorMessage;

    private sealed class ProbeActor : ReceiveActor
    {
        public ProbeActor()
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<Probe>(_ => Sender.Tell(new ProbeAnswer(
                cluster.SelfAddress,
                cluster.SelfMember.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp or Akka.Cluster.MemberStatus.Leaving or Akka.Cluster.MemberStatus.Exiting)));
        }
    }

    /// <summary>The first seed's decision: form a cluster only when no other seed is in one.</summary>
    private sealed class FirstSeedActor : ReceiveActor, IWithTimers
    {
        private readonly ILoggingAdapter _log = Context.GetLogger();
        private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
        private readonly IReadOnlyList<Address> _others;
        private readonly Dictionary<Address, bool> _answers = [];
        private readonly TimeSpan _formAfter;
        private readonly DateTime _deadline;
        private bool _sawMember;

        public FirstSeedActor(IReadOnlyList<Address> others, TimeSpan formAfter)
        {
            _others = others;
            _formAfter = formAfter;
            _deadline = DateTime.UtcNow + formAfter;
            Receive<Tick>(_ => OnTick());
            Receive<ProbeAnswer>(a =>
            {
                _answers[a.Node] = a.Member;
                _sawMember |= a.Member;
                Decide();
            });
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }

        private void OnTick()
        {
            if (_cluster.State.Members.Any(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress)))
            {
                Context.Stop(Self); // joined (through another seed, or by forming the cluster)
                return;
            }

            foreach (var other in _others)
            {
                Context.ActorSelection(new RootActorPath(other) / "user" / ProbeName).Tell(Probe.Instance);
            }

            if (!_sawMember && DateTime.UtcNow > _deadline)
            {
                _log.Warning("no other seed node said it is in a cluster within {0:0} s ({1} of {2} answered): forming a new cluster", _formAfter.TotalSeconds, _answers.Count, _others.Count);
                Form();
            }
        }

        private void Decide()
        {
            // A cold start: every other seed runs and none is in a cluster. One that is (or was once seen to be) means a
            // running cluster: wait for Akka's join through it, however long its answers take.
            if (!_sawMember && _others.All(o => _answers.TryGetValue(o, out var member) && !member))
            {
                _log.Info("every other seed node answered that it is not in a cluster: forming a new cluster");
                Form();
            }
        }

        private void Form()
        {
            _cluster.Join(_cluster.SelfAddress);
            Context.Stop(Self);
        }

        private sealed record Tick
        {
            public static Tick Instance { get; } = new();
        }
    }
}
