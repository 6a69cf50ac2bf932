using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Orchestrator.Cluster.Evacuations;
using static Orchestrator.Cluster.Migrations.CoordinatorProtocol;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// Keeps every unfinished migration's coordinator alive. Sharding restarts a remembered coordinator only when its
/// shard runs: a shard whose node died, or whose remember-entities store failed (a database restart), comes back
/// with the first message for one of its entities. A migration that nobody asks about would then wait forever,
/// and invariant 2 says it must end. So, on every coordinator node, each unfinished migration of the replicated
/// index that has been quiet for a while is sent a read-only <see cref="GetMigration"/> through the shard region:
/// that starts its shard, which restarts its remembered coordinators, which recover and carry on.
/// <para>
/// It also keeps the index bounded (issue 15): an ended migration leaves it once it ended longer ago than the
/// retention, or when more ended ones than the cap are listed (oldest first). The index is gossiped whole to every
/// node; past Akka remoting's frame size its gossip would be dropped and the reconcilers' majority reads would fail.
/// An ended migration stays readable by id from its coordinator's journal. Ended evacuation jobs leave the
/// <see cref="EvacuationIndex"/> under the same retention.
/// </para>
/// </summary>
public sealed class MigrationKeeper : ReceiveActor, IWithTimers
{
    private const string TickTimer = "tick";
    private readonly IActorRef _migrations;
    private readonly TimeSpan _quietAfter;
    private readonly IndexRetention _retention;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LWWDictionary<string, MigrationView>[] _index = [.. MigrationIndex.Keys.Select(_ => LWWDictionary<string, MigrationView>.Empty)];
    private LWWDictionary<string, EvacuationView> _evacuations = LWWDictionary<string, EvacuationView>.Empty;

    public MigrationKeeper(IActorRef migrations, TimeSpan interval, TimeSpan quietAfter, IndexRetention retention, TimeProvider time)
    {
        _migrations = migrations;
        _quietAfter = quietAfter;
        _retention = retention;
        _time = time;
        Receive<Changed>(c =>
        {
            if (MigrationIndex.ShardOfKey(c.Key) is var shard and >= 0)
            {
                _index[shard] = c.Get(MigrationIndex.Keys[shard]);
            }
            else
            {
                _evacuations = c.Get(EvacuationIndex.Key);
            }
        });
        Receive<Tick>(_ =>
        {
            Nudge();
            Prune();
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateResponse>(failed => _log.Warning("pruning the migration index failed: {Failure}", failed));
        Receive<MigrationView>(_ => { });
        Receive<Unknown>(_ => { });
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, interval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a keeper that looks every <paramref name="interval"/>.</summary>
    public static Props Props(IActorRef migrations, TimeSpan interval, TimeSpan quietAfter, IndexRetention retention, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new MigrationKeeper(migrations, interval, quietAfter, retention, time));

    protected override void PreStart()
    {
        var replicator = DistributedData.Get(Context.System).Replicator;
        MigrationIndex.Subscribe(replicator, Self);
        replicator.Tell(Dsl.Subscribe(EvacuationIndex.Key, Self));
    }

    private void Nudge()
    {
        var now = _time.GetUtcNow();
        foreach (var view in _index.SelectMany(shard => shard.Values))
        {
            if (view.IsTerminal || now - view.UpdatedAt < _quietAfter)
            {
                continue;
            }

            if (_log.IsDebugEnabled)
            {
                _log.Debug("[{Migration}] quiet in {Phase} since {Since:O}: asking its coordinator", view.Id, view.State, view.UpdatedAt);
            }

            _migrations.Tell(new MigrationEnvelope(view.Id, GetMigration.Instance));
        }
    }

    private void Prune()
    {
        var now = _time.GetUtcNow();
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        var jobs = _retention.Expired(_evacuations.Values, e => e.IsTerminal, e => e.UpdatedAt, e => e.Id, now);
        if (jobs.Count > 0)
        {
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Update(
                EvacuationIndex.Key,
                LWWDictionary<string, EvacuationView>.Empty,
                WriteLocal.Instance,
                d => jobs.Aggregate(d, (acc, id) => acc.Remove(self, id))));
        }

        var expired = _retention.Expired(_index.SelectMany(shard => shard.Values), now);
        if (expired.Count == 0)
        {
            return;
        }

        if (_log.IsDebugEnabled)
        {
            _log.Debug("dropping {Expired} ended migration(s) from the index (retention {Window}, at most {MaxEnded} ended)", expired.Count, _retention.Window, _retention.MaxEnded);
        }

        // Every coordinator node prunes the same entries: removals are idempotent, and a coordinator that publishes an
        // ended view again (recovered to answer a read) is dropped again at the next tick.
        foreach (var inShard in expired.GroupBy(MigrationIndex.ShardOf))
        {
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Update(
                MigrationIndex.Keys[inShard.Key],
                LWWDictionary<string, MigrationView>.Empty,
                WriteLocal.Instance,
                d => inShard.Aggregate(d, (acc, id) => acc.Remove(self, id))));
        }
    }

    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }
}
