using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Persistence;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Hosting;

/// <summary>What a node runs besides the config: limits, timeouts, device observer, data-plane settings.</summary>
public sealed record RuntimeOptions
{
    public ConcurrencyLimits Limits { get; init; } = ConcurrencyLimits.Default;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public PfActorSettings Pf { get; init; } = new();

    /// <summary>How often an evacuation job asks after its migrations (<see cref="EvacuationJobSettings.PollInterval"/>).</summary>
    public TimeSpan EvacuationPollInterval { get; init; } = new EvacuationJobSettings().PollInterval;

    public IDeviceObserver Observer { get; init; } = NullDeviceObserver.Instance;

    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan PassivateAfterEnd { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the client facade waits for an actor's answer.</summary>
    public TimeSpan ClientAskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Called when a migration coordinated on this node changes protocol state or epoch.</summary>
    public Action<MigrationView>? OnMigrationChanged { get; init; }

    /// <summary>How often each coordinator node asks after unfinished migrations that have been quiet (see <see cref="MigrationKeeper"/>).</summary>
    public TimeSpan KeeperInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the replicated index (<c>GET /migrations</c>, the event stream) lists ended migrations
    /// (<c>runtime.index-retention</c>, <c>runtime.index-max-ended</c>).
    /// </summary>
    public IndexRetention IndexRetention { get; init; } = IndexRetention.Default;

    /// <summary>
    /// The journal's migration events in its global order, which the client lists ended migrations from
    /// (<see cref="MigrationJournal.For"/>); null with an in-memory journal.
    /// </summary>
    public MigrationJournal? Journal { get; init; }

    /// <summary>The policy of a migration whose request has none (the node's <c>policy.*</c> keys).</summary>
    public MigrationPolicy DefaultPolicy { get; init; } = MigrationPolicy.Default;

    /// <summary>How often each host's reconciler runs besides start-up and recoveries (<c>runtime.reconcile-interval</c>).</summary>
    public TimeSpan ReconcileInterval { get; init; } = ReconcilerSettings.DefaultInterval;

    /// <summary>How many clean-ups each host's reconciler keeps (its report; its journal is trimmed to them).</summary>
    public int ReconcilerRecentKept { get; init; } = 50;

    /// <summary>How long after start-up each host's reconciler first runs.</summary>
    public TimeSpan ReconcileStartupDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Events between two snapshots of the long-lived persistent actors (placement authority, host journals); the
    /// events before a stored snapshot are deleted.
    /// </summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>
    /// Every problem with these options and the settings records a node builds from them (coordinators, placement
    /// authority, evacuation jobs, PF actors and their ledgers, reconcilers), each naming the setting and its value;
    /// empty when valid. <see cref="OrchestratorRuntime.Start"/> refuses to start anything otherwise.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingChecks.Positive(errors, "RuntimeOptions.ClientAskTimeout", ClientAskTimeout);
        SettingChecks.Positive(errors, "RuntimeOptions.KeeperInterval", KeeperInterval);
        SettingChecks.AtLeast(errors, "RuntimeOptions.SnapshotEvery", SnapshotEvery, 1);
        SettingChecks.Positive(errors, "runtime.index-retention", IndexRetention.Window);
        SettingChecks.AtLeast(errors, "runtime.index-max-ended", IndexRetention.MaxEnded, 0);
        errors.AddRange(Limits.Validate().Select(e => "limits: " + e));
        errors.AddRange(DefaultPolicy.Validate().Select(e => "policy: " + e));
        errors.AddRange(Coordinators(ActorRefs.Nobody).Validate());
        errors.AddRange(Authority(null).Validate());
        errors.AddRange(Evacuations.Validate());
        errors.AddRange(Pf.Validate());
        errors.AddRange(Reconcilers(ActorRefs.Nobody, ActorRefs.Nobody).Validate());
        return errors;
    }

    /// <summary>What every migration coordinator on the node shares.</summary>
    internal CoordinatorSettings Coordinators(IActorRef placement) => new()
    {
        Placement = placement,
        TimeProvider = TimeProvider,
        StepTimeout = StepTimeout,
        PassivateAfterEnd = PassivateAfterEnd,
        OnStateChanged = OnMigrationChanged,
    };

    /// <summary>The placement authority's settings.</summary>
    internal PlacementAuthoritySettings Authority(IActorRef? migrations) => new() { Migrations = migrations, SnapshotEvery = SnapshotEvery };

    /// <summary>Every evacuation job's settings.</summary>
    internal EvacuationJobSettings Evacuations => new() { Time = TimeProvider, PollInterval = EvacuationPollInterval };

    /// <summary>Every host reconciler's settings.</summary>
    internal ReconcilerSettings Reconcilers(IActorRef placement, IActorRef migrations) => new()
    {
        Interval = ReconcileInterval,
        StartupDelay = ReconcileStartupDelay,
        RecentKept = ReconcilerRecentKept,
        Placement = placement,
        Migrations = migrations,
        TimeProvider = TimeProvider,
        Observer = Observer,
    };
}

/// <summary>
/// Starts what runs on one node of the cluster: the placement authority singleton (on coordinator nodes), the
/// migration shard region (or a proxy), and a host actor per local host.
/// </summary>
public sealed class OrchestratorRuntime
{
    /// <summary>The sharding type name of migration coordinators.</summary>
    public const string MigrationTypeName = "migration";

    /// <summary>The sharding type name of evacuation jobs.</summary>
    public const string EvacuationTypeName = "evacuation";

    private OrchestratorRuntime(ActorSystem system, IActorRef migrations, IActorRef placement, IReadOnlyDictionary<HostId, IActorRef> hosts, OrchestratorClient client)
    {
        System = system;
        Migrations = migrations;
        Placement = placement;
        Hosts = hosts;
        Client = client;
    }

    public ActorSystem System { get; }

    /// <summary>The migration shard region (or proxy): send <see cref="MigrationEnvelope"/>s here.</summary>
    public IActorRef Migrations { get; }

    /// <summary>The placement authority proxy.</summary>
    public IActorRef Placement { get; }

    /// <summary>The host actors of this node.</summary>
    public IReadOnlyDictionary<HostId, IActorRef> Hosts { get; }

    /// <summary>The client facade the API and the CLI use.</summary>
    public OrchestratorClient Client { get; }

    public static OrchestratorRuntime Start(ActorSystem system, IReadOnlyList<HostDevices> hosts, RuntimeOptions? options = null)
    {
        options ??= new RuntimeOptions();
        if (options.Validate() is { Count: > 0 } invalid)
        {
            // Before any actor starts: a node with a bad timing must not half-run.
            throw new ArgumentException("invalid runtime options: " + string.Join("; ", invalid), nameof(options));
        }

        var roles = Akka.Cluster.Cluster.Get(system).SelfRoles;
        var isCoordinator = roles.Contains(ClusterRoles.Coordinator);

        var placement = system.ActorOf(
            ClusterSingletonProxy.Props("/user/placement", ClusterSingletonProxySettings.Create(system).WithRole(ClusterRoles.Coordinator).WithSingletonName("authority")),
            "placement-proxy");

        var sharding = ClusterSharding.Get(system);
        var extractor = new MigrationMessageExtractor(100);
        IActorRef migrations;
        if (isCoordinator)
        {
            var coordinatorSettings = options.Coordinators(placement);
            migrations = sharding.Start(
                MigrationTypeName,
                id => MigrationCoordinator.Props(MigrationId.Parse(id), coordinatorSettings),
                ClusterShardingSettings.Create(system).WithRole(ClusterRoles.Coordinator),
                extractor);
        }
        else
        {
            migrations = sharding.StartProxy(MigrationTypeName, ClusterRoles.Coordinator, extractor);
        }

        if (isCoordinator)
        {
            // After the region: the authority asks coordinators about claims that look abandoned. Under a backoff
            // supervisor: a failed journal write stops a persistent actor, and the singleton manager would not start it
            // again, so every placement in the cluster would wait forever; this one comes back and recovers its ledger.
            var authority = PlacementAuthority.Props(options.Limits, options.TimeProvider, options.Authority(migrations));
            system.ActorOf(
                ClusterSingletonManager.Props(
                    JournalBackoff.Supervise(authority, "ledger"),
                    PoisonPill.Instance,
                    ClusterSingletonManagerSettings.Create(system).WithRole(ClusterRoles.Coordinator).WithSingletonName("authority")),
                "placement");
            system.ActorOf(MigrationKeeper.Props(migrations, options.KeeperInterval, options.KeeperInterval * 2, options.IndexRetention, options.TimeProvider), "migration-keeper");
        }

        var client = new OrchestratorClient(system, migrations, placement) { AskTimeout = options.ClientAskTimeout, DefaultPolicy = options.DefaultPolicy, Journal = options.Journal };
        var evacuationExtractor = new EvacuationMessageExtractor(20);
        client.Evacuations = isCoordinator
            ? sharding.Start(
                EvacuationTypeName,
                id => EvacuationJob.Props(id, client, options.Evacuations),
                ClusterShardingSettings.Create(system).WithRole(ClusterRoles.Coordinator),
                evacuationExtractor)
            : sharding.StartProxy(EvacuationTypeName, ClusterRoles.Coordinator, evacuationExtractor);

        var hostRefs = new Dictionary<HostId, IActorRef>();
        if (roles.Contains(ClusterRoles.Hosts))
        {
            var reconciler = options.Reconcilers(placement, migrations);
            var nodeName = system.Settings.Config.GetString("orchestrator.node-name", system.Name);
            foreach (var host in hosts)
            {
                hostRefs[host.Host] = system.ActorOf(
                    HostActor.Props(new HostActorSetup(host.Host, nodeName, host.Drivers, host.Workloads, options.Pf, options.Observer, reconciler, options.SnapshotEvery)),
                    HostActor.ActorName(host.Host));
            }
        }

        return new OrchestratorRuntime(system, migrations, placement, hostRefs, client);
    }
}

/// <summary>Routes <see cref="EvacuationEnvelope"/>s to their job by id.</summary>
internal sealed class EvacuationMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string EntityId(object message) => message is EvacuationEnvelope envelope ? envelope.Evacuation : null!;

    public override object EntityMessage(object message) => message is EvacuationEnvelope envelope ? envelope.Message : message;
}

/// <summary>Routes <see cref="MigrationEnvelope"/>s to their coordinator by migration id.</summary>
internal sealed class MigrationMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string EntityId(object message) => message is MigrationEnvelope envelope ? envelope.Migration.ToString() : null!;

    public override object EntityMessage(object message) => message is MigrationEnvelope envelope ? envelope.Message : message;
}
