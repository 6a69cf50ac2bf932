using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using static Orchestrator.Cluster.Migrations.CoordinatorProtocol;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// Keeps every unfinished migration's coordinator alive. Sharding restarts a remembered coordinator only when its
/// shard runs: a shard whose node died, or whose remember-entities store failed (a database restart), comes back
/// with the first message for one of its entities. A migration that nobody asks about would then wait forever,
/// and invariant 2 says it must end. So, on every coordinator node, each unfinished migration of the replicated
/// index that has been quiet for a while is sent a read-only <see cref="GetMigration"/> through the shard region:
/// that starts its shard, which restarts its remembered coordinators, which recover and carry on.
/// </summary>
public sealed class MigrationKeeper : ReceiveActor, IWithTimers
{
    private const string TickTimer = "tick";
    private readonly IActorRef _migrations;
    private readonly TimeSpan _quietAfter;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private LWWDictionary<string, MigrationView> _index = LWWDictionary<string, MigrationView>.Empty;

    public MigrationKeeper(IActorRef migrations, TimeSpan interval, TimeSpan quietAfter, TimeProvider time)
    {
        _migrations = migrations;
        _quietAfter = quietAfter;
        _time = time;
        Receive<Changed>(c => _index = c.Get(MigrationIndex.Key));
        Receive<Tick>(_ => Nudge());
        Receive<MigrationView>(_ => { });
        Receive<Unknown>(_ => { });
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, interval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a keeper that looks every <paramref name="interval"/>.</summary>
    public static Props Props(IActorRef migrations, TimeSpan interval, TimeSpan quietAfter, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new MigrationKeeper(migrations, interval, quietAfter, time));

    protected override void PreStart() =>
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(MigrationIndex.Key, Self));

    private void Nudge()
    {
        var now = _time.GetUtcNow();
        foreach (var view in _index.Values)
        {
            if (view.IsTerminal || now - view.UpdatedAt < _quietAfter)
            {
                continue;
            }

            if (_log.IsDebugEnabled)
            {
                _log.Debug("[{0}] quiet in {1} since {2:O}: asking its coordinator", view.Id, view.State, view.UpdatedAt);
            }

            _migrations.Tell(new MigrationEnvelope(view.Id, GetMigration.Instance));
        }
    }

    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }
}
