using System.Threading.Channels;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Streams;
using Akka.Streams.Dsl;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Persistence;

namespace Orchestrator.Node.Api;

/// <summary>
/// Live updates for <c>GET /events</c> on any node, fanned out to its subscribers. Migrations come from the journal
/// (<see cref="MigrationJournal"/>: every event in the journal's global order, its ordering as the durable
/// <see cref="FeedEvent.Position"/>), hosts and the migrations' queue positions from the replicated directory
/// (Akka.DistributedData <c>Changed</c>, which also feeds <see cref="ApiMetrics"/>), leftovers cleaned by this node's
/// host reconcilers from the node's EventStream. With an in-memory journal (tests) migrations come from the replicated
/// index and carry no position.
/// </summary>
public sealed class ClusterFeed(ApiMetrics metrics, ILogger<ClusterFeed> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Channel<FeedEvent>> _subscribers = [];
    private readonly Dictionary<Channel<FeedEvent>, int> _dropped = [];
    private readonly HashSet<Channel<FeedEvent>> _resumed = [];
    private readonly Dictionary<string, MigrationView> _migrations = []; // as last shown to subscribers
    private readonly LWWDictionary<string, MigrationView>[] _index = [.. MigrationIndex.Keys.Select(_ => LWWDictionary<string, MigrationView>.Empty)]; // by shard
    private readonly Dictionary<string, HostEntry> _hosts = [];
    private MigrationJournal? _journal;
    private long _position;
    private long _catchUpTo; // the last migration event written before the feed started: Started waits for it
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(30);

    /// <summary>How long an ended migration the index does not list stays in the feed's current state.</summary>
    internal static readonly TimeSpan UnlistedGrace = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);
    private DateTimeOffset _sweptAt = DateTimeOffset.MinValue;
    private DateTimeOffset _startedAt = DateTimeOffset.MaxValue;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the feed knows whether and from where it follows the journal, and has caught up with the
    /// migration events written before it started: event ids are durable from then on
    /// (<c>GET /events</c> waits for it, so that a resume is never answered as a fresh subscription).
    /// </summary>
    public Task Started => _started.Task;

    /// <summary>
    /// Subscribes to the replicator of <paramref name="system"/> and, given a <paramref name="journal"/>, follows its
    /// migration events after the ordering <paramref name="start"/> answers (read in the background, tried again while
    /// the database does not answer; until then migrations come from the replicated index, without positions).
    /// </summary>
    public void Start(ActorSystem system, MigrationJournal? journal = null, Func<(long From, long CatchUpTo)>? start = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.ActorOf(Props.Create(() => new FeedActor(this)), "api-feed");
        metrics.TrackMigrations(ReplicatedMigrations);
        if (journal is null)
        {
            logger.LogInformation("API feed subscribed to the replicated migration index and host inventory (no journal order: events carry no durable id)");
            _started.TrySetResult();
            return;
        }

        _ = Task.Run(async () =>
        {
            var found = await StartPositionAsync(start ?? (() => (0, 0)), system.WhenTerminated);
            if (found is not { } at)
            {
                return;
            }

            var position = at.From;
            lock (_gate)
            {
                _journal = journal;
                _position = position;
                _catchUpTo = at.CatchUpTo;
                _startedAt = DateTimeOffset.UtcNow;
                if (_catchUpTo <= _position)
                {
                    // Nothing to catch up on: durable resumes can be answered now.
                    _started.TrySetResult();
                }
            }

            // Bounded: an event the follower never delivers (an untagged one of an old journal) must not hold every
            // GET /events forever; a resume answered before the catch-up may repeat steps, never lose one.
            _ = Task.Delay(CatchUpLimit).ContinueWith(
                _ =>
                {
                    if (_started.TrySetResult())
                    {
                        logger.LogWarning("API feed did not reach ordering {CatchUpTo} within {Limit} s of its start; answering event streams anyway", at.CatchUpTo, CatchUpLimit.TotalSeconds);
                    }
                },
                TaskScheduler.Default);

            // A failed query (database away) starts again from the last position applied: nothing skipped or repeated.
            _ = RestartSource.WithBackoff(() => journal.Follow(Position), JournalBackoff.Stream)
                .RunForeach(OnJournaled, system.Materializer(namePrefix: "api-feed"));
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("API feed follows the migration journal from ordering {Position} and the replicated host inventory", position);
            }
        });
    }

    private async Task<(long From, long CatchUpTo)?> StartPositionAsync(Func<(long From, long CatchUpTo)> start, Task terminated)
    {
        while (!terminated.IsCompleted)
        {
            try
            {
                return start();
            }
#pragma warning disable CA1031 // Any failure of the database: logged, tried again; the feed serves the index meanwhile.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogWarning(e, "API feed cannot read the journal's end yet; trying again in 1 s");
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1)), terminated);
            }
        }

        return null;
    }

    /// <summary>Whether migration events carry durable positions (the journal keeps a global order).</summary>
    public bool Durable
    {
        get
        {
            lock (_gate)
            {
                return _journal is not null;
            }
        }
    }

    /// <summary>The journal ordering of the last migration event applied (0 before any, or without a journal).</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    /// <summary>How many changes a subscriber may fall behind before changes are dropped for it (and counted).</summary>
    public const int Capacity = 1024;

    /// <summary>
    /// A subscription: the current migrations and hosts first (migrations at <see cref="Position"/>), then every change. A subscriber more than
    /// <see cref="Capacity"/> changes behind loses the newest ones; <see cref="TakeDropped"/> says how many, so that it
    /// can say so and read <see cref="Current"/> again. End it with <see cref="Unsubscribe"/>.
    /// </summary>
    public Channel<FeedEvent> Subscribe()
    {
        var channel = NewChannel();
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

    /// <summary>
    /// A subscription that resumes: the current hosts, then every change from now on (migration events after the
    /// returned position). What changed between a client's last event and that position comes from
    /// <see cref="ChangedAsync"/>. End it with <see cref="Unsubscribe"/>.
    /// </summary>
    public (Channel<FeedEvent> Channel, long Position) Resume()
    {
        var channel = NewChannel();
        lock (_gate)
        {
            foreach (var e in HostsLocked().Take(Capacity))
            {
                channel.Writer.TryWrite(e);
            }

            _subscribers.Add(channel);
            _resumed.Add(channel);
            return (channel, _position);
        }
    }

    /// <summary>
    /// Each migration with an event after <paramref name="after"/> and up to <paramref name="upTo"/>, once, as of its
    /// last such event (read from the journal), in journal order; <c>Events</c> is null when more than
    /// <see cref="Capacity"/> changed (<c>Changed</c> says how many).
    /// </summary>
    public async Task<(int Changed, IReadOnlyList<FeedEvent>? Events)> ChangedAsync(long after, long upTo, CancellationToken ct)
    {
        var journal = Durable ? _journal! : throw new InvalidOperationException("the feed follows no journal");
        var (changed, views) = await journal.ChangedAsync(after, upTo, Capacity, ct);
        if (views is null)
        {
            return (changed, null);
        }

        lock (_gate)
        {
            return (changed, [.. views.Select(v => new FeedEvent("migration", v.View.Id.Value, MigrationResource.From(WithTransient(v.View)), v.Ordering))]);
        }
    }

    /// <summary>Every host and migration as it is now, hosts first, and the position the migrations are at.</summary>
    public (IReadOnlyList<FeedEvent> Events, long Position) Current()
    {
        lock (_gate)
        {
            return (CurrentLocked(), _position);
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

    // Bounded, and a writer never waits: a full channel drops the change and counts it (TakeDropped).
    private static Channel<FeedEvent> NewChannel() =>
        Channel.CreateBounded<FeedEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private IEnumerable<FeedEvent> HostsLocked() => _hosts.Values.OrderBy(h => h.Inventory.Id).Select(HostEvent);

    private List<FeedEvent> CurrentLocked() =>
    [
        .. HostsLocked(),
        .. _migrations.Values.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id.Value, StringComparer.Ordinal).Select(m => MigrationEvent(m, _journal is null ? null : _position)),
    ];

    public void Unsubscribe(Channel<FeedEvent> channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_gate)
        {
            _subscribers.Remove(channel);
            _dropped.Remove(channel);
            _resumed.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    /// <summary>One shard of the index changed (see <see cref="MigrationIndex"/>): what it holds now.</summary>
    internal void OnMigrations(int shard, LWWDictionary<string, MigrationView> data)
    {
        lock (_gate)
        {
            foreach (var (id, view) in data.Entries)
            {
                if (_journal is null)
                {
                    if (!_migrations.TryGetValue(id, out var seen) || !Same(seen, view))
                    {
                        _migrations[id] = view;
                        Publish(MigrationEvent(view, null));
                    }
                }
                else if (_migrations.TryGetValue(id, out var shown))
                {
                    // Only what the journal does not carry comes from here: the queue position goes out, the
                    // coordinator's node (after a restart, say) is kept quietly; a newer checkpoint waits for its journal
                    // event and its position.
                    if (SameDurable(shown, view))
                    {
                        _migrations[id] = shown with { QueuePosition = view.QueuePosition, Coordinator = view.Coordinator };
                        if (shown.QueuePosition != view.QueuePosition)
                        {
                            Publish(MigrationEvent(_migrations[id], null));
                        }
                    }
                }
                else if (view.CreatedAt < _startedAt)
                {
                    // Requested before this feed started following the journal: known from the index until its next
                    // event. It completes the current state of subscriptions that started with one; one that resumed
                    // learns from the journal what changed since its last event, and gets no repeat from here.
                    _migrations[id] = view;
                    Publish(MigrationEvent(view, null), toResumed: false);
                }
            }

            // Ended migrations the index let go of (its retention) leave the feed's current state too.
            foreach (var gone in _index[shard].Keys.Where(id => !data.ContainsKey(id)))
            {
                _migrations.Remove(gone);
            }

            _index[shard] = data;
            SweepUnlistedLocked();
        }
    }

    /// <summary>
    /// Ended migrations that the journal brought but this node's index does not list, a minute after they ended: the
    /// index reaches other nodes by gossip, a few keys a message, so it may let an ended migration go before the
    /// journal's events of it arrive here, or never list it here at all, and the loop above, which removes only what
    /// the index listed, kept those for good (the soak found 5 753 views in the feed of a node whose index held ~1 000,
    /// growing with every migration). At most every 10 s: a pass reads every migration the feed holds.
    /// </summary>
    private void SweepUnlistedLocked()
    {
        var now = DateTimeOffset.UtcNow;
        if (now - _sweptAt < SweepEvery)
        {
            return;
        }

        _sweptAt = now;
        foreach (var id in _migrations.Where(m => m.Value.IsTerminal && now - m.Value.UpdatedAt > UnlistedGrace && !_index[MigrationIndex.ShardOf(m.Key)].ContainsKey(m.Key)).Select(m => m.Key).ToList())
        {
            _migrations.Remove(id);
        }
    }

    /// <summary>Every migration as the replicated index has it now (the metrics' gauges read it at each scrape).</summary>
    private IReadOnlyCollection<MigrationView> ReplicatedMigrations()
    {
        lock (_gate)
        {
            return [.. _index.SelectMany(shard => shard.Values)];
        }
    }

    internal void OnJournaled(JournaledView journaled)
    {
        lock (_gate)
        {
            if (journaled.Ordering <= _position)
            {
                return; // applied before a restarted query
            }

            _position = journaled.Ordering;
            var view = WithTransient(journaled.View);
            _migrations[view.Id.Value] = view;
            Publish(MigrationEvent(view, journaled.Ordering));
            if (_position >= _catchUpTo)
            {
                // Caught up with what was written before this node started: a resume now gets each migration that
                // changed once, as it is, instead of every event of it the catch-up replays (CI on 256b87e).
                _started.TrySetResult();
            }
        }
    }

    // A view read from the journal, with what only the replicated index knows (the queue position while it is current).
    private MigrationView WithTransient(MigrationView journaled) =>
        _index[MigrationIndex.ShardOf(journaled.Id.Value)].TryGetValue(journaled.Id.Value, out var replicated)
            ? journaled with { Coordinator = replicated.Coordinator, QueuePosition = SameDurable(replicated, journaled) ? replicated.QueuePosition : null }
            : journaled;

    internal void OnHosts(LWWDictionary<string, HostEntry> data)
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

    // Two views of one migration at the same journaled state (they may differ in queue position and coordinator).
    private static bool SameDurable(MigrationView a, MigrationView b) =>
        a.State == b.State && a.Epoch == b.Epoch && a.Step == b.Step && a.Timeline.Count == b.Timeline.Count
        && a.Rounds.Count == b.Rounds.Count && a.LastError == b.LastError && a.Code == b.Code && a.Target == b.Target && a.Policy == b.Policy;

    private static FeedEvent MigrationEvent(MigrationView view, long? position) => new("migration", view.Id.Value, MigrationResource.From(view), position);

    private static FeedEvent HostEvent(HostEntry host) => new("host", host.Inventory.Id.Value, HostResource.From(host));

    private void Publish(FeedEvent e, bool toResumed = true)
    {
        foreach (var subscriber in _subscribers)
        {
            if (!toResumed && _resumed.Contains(subscriber))
            {
                continue;
            }

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
            MigrationIndex.Subscribe(replicator, Self);
            HostDirectory.Subscribe(replicator, Self, readLocal: false);
            Context.System.EventStream.Subscribe(Self, typeof(ReconcilerProtocol.CleanedLeftover));
            Receive<ReconcilerProtocol.CleanedLeftover>(feed.OnLeftoverCleaned);
            Receive<Changed>(changed =>
            {
                if (MigrationIndex.ShardOfKey(changed.Key) is var shard and >= 0)
                {
                    feed.OnMigrations(shard, changed.Get(MigrationIndex.Keys[shard]));
                }
                else if (HostDirectory.ShardOfKey(changed.Key) is var hostShard and >= 0)
                {
                    feed.OnHosts(changed.Get(HostDirectory.Keys[hostShard]));
                }
            });
        }
    }
}
