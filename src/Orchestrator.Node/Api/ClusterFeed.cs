using System.Threading.Channels;
using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;

namespace Orchestrator.Node.Api;

/// <summary>
/// Live updates from the replicated directory (Akka.DistributedData <c>Changed</c> of the migration index and the host
/// inventory), on any node: fans out changed migrations and hosts to SSE subscribers and feeds <see cref="ApiMetrics"/>.
/// Leftovers cleaned by this node's host reconcilers (the node's EventStream) go out as <c>leftover</c> events.
/// </summary>
public sealed class ClusterFeed(ApiMetrics metrics, ILogger<ClusterFeed> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Channel<FeedEvent>> _subscribers = [];
    private readonly Dictionary<Channel<FeedEvent>, int> _dropped = [];
    private readonly Dictionary<string, MigrationView> _migrations = [];
    private readonly Dictionary<string, HostSnapshot> _hosts = [];

    /// <summary>Subscribes to the replicator of <paramref name="system"/>.</summary>
    public void Start(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.ActorOf(Props.Create(() => new FeedActor(this)), "api-feed");
        logger.LogInformation("API feed subscribed to the replicated migration index and host inventory");
    }

    /// <summary>How many changes a subscriber may fall behind before changes are dropped for it (and counted).</summary>
    public const int Capacity = 1024;

    /// <summary>
    /// A subscription: the current migrations and hosts first, then every change. A subscriber more than
    /// <see cref="Capacity"/> changes behind loses the newest ones; <see cref="TakeDropped"/> says how many, so that it
    /// can say so and read <see cref="Current"/> again. End it with <see cref="Unsubscribe"/>.
    /// </summary>
    public Channel<FeedEvent> Subscribe()
    {
        var channel = Channel.CreateBounded<FeedEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        lock (_gate)
        {
            var current = CurrentLocked();
            foreach (var e in current.Take(Capacity))
            {
                channel.Writer.TryWrite(e);
            }

            if (current.Count > Capacity)
            {
                _dropped[channel] = current.Count - Capacity; // more than fits: the stream sends the rest as after an overflow
            }

            _subscribers.Add(channel);
        }

        return channel;
    }

    /// <summary>Every host and migration as it is now, hosts first (what a subscription starts with).</summary>
    public IReadOnlyList<FeedEvent> Current()
    {
        lock (_gate)
        {
            return CurrentLocked();
        }
    }

    /// <summary>How many changes were dropped for <paramref name="channel"/> since the last call (0: none).</summary>
    public int TakeDropped(Channel<FeedEvent> channel)
    {
        lock (_gate)
        {
            return _dropped.Remove(channel, out var dropped) ? dropped : 0;
        }
    }

    private List<FeedEvent> CurrentLocked() =>
    [
        .. _hosts.Values.OrderBy(h => h.Inventory.Id).Select(HostEvent),
        .. _migrations.Values.OrderBy(m => m.CreatedAt).Select(MigrationEvent),
    ];

    public void Unsubscribe(Channel<FeedEvent> channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_gate)
        {
            _subscribers.Remove(channel);
            _dropped.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    internal void OnMigrations(LWWDictionary<string, MigrationView> data)
    {
        lock (_gate)
        {
            foreach (var (id, view) in data.Entries)
            {
                if (_migrations.TryGetValue(id, out var seen) && Same(seen, view))
                {
                    continue;
                }

                _migrations[id] = view;
                Publish(MigrationEvent(view));
            }

            metrics.ObserveMigrations(_migrations.Values);
        }
    }

    internal void OnHosts(LWWDictionary<string, HostSnapshot> data)
    {
        lock (_gate)
        {
            foreach (var (id, host) in data.Entries)
            {
                if (_hosts.TryGetValue(id, out var seen) && seen.UpdatedAt == host.UpdatedAt && seen.Inventory.Cordoned == host.Inventory.Cordoned)
                {
                    continue;
                }

                _hosts[id] = host;
                Publish(HostEvent(host));
            }

            metrics.ObserveHosts(_hosts.Values);
        }
    }

    internal void OnLeftoverCleaned(ReconcilerProtocol.CleanedLeftover cleaned)
    {
        var resource = CleanedLeftoverResource.From(cleaned);
        lock (_gate)
        {
            Publish(new FeedEvent("leftover", resource.Vf ?? resource.Pf ?? resource.Host, resource));
        }
    }

    private static bool Same(MigrationView a, MigrationView b) =>
        a.UpdatedAt == b.UpdatedAt && a.State == b.State && a.Epoch == b.Epoch && a.Step == b.Step
        && a.Progress == b.Progress && a.QueuePosition == b.QueuePosition && a.LastError == b.LastError;

    private static FeedEvent MigrationEvent(MigrationView view) => new("migration", view.Id.Value, MigrationResource.From(view));

    private static FeedEvent HostEvent(HostSnapshot host) => new("host", host.Inventory.Id.Value, HostResource.From(host));

    private void Publish(FeedEvent e)
    {
        foreach (var subscriber in _subscribers)
        {
            if (!subscriber.Writer.TryWrite(e))
            {
                _dropped[subscriber] = _dropped.GetValueOrDefault(subscriber) + 1; // full: the subscriber is told, not left guessing
            }
        }
    }

    /// <summary>Subscribes to both keys and hands every change to the feed.</summary>
    private sealed class FeedActor : ReceiveActor
    {
        public FeedActor(ClusterFeed feed)
        {
            var replicator = DistributedData.Get(Context.System).Replicator;
            replicator.Tell(Dsl.Subscribe(MigrationIndex.Key, Self));
            replicator.Tell(Dsl.Subscribe(InventoryKeys.Hosts, Self));
            Context.System.EventStream.Subscribe(Self, typeof(ReconcilerProtocol.CleanedLeftover));
            Receive<ReconcilerProtocol.CleanedLeftover>(feed.OnLeftoverCleaned);
            Receive<Changed>(changed =>
            {
                if (changed.Key.Equals(MigrationIndex.Key))
                {
                    feed.OnMigrations(changed.Get(MigrationIndex.Key));
                }
                else if (changed.Key.Equals(InventoryKeys.Hosts))
                {
                    feed.OnHosts(changed.Get(InventoryKeys.Hosts));
                }
            });
        }
    }
}
