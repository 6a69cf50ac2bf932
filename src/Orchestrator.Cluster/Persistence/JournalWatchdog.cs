using Akka.Actor;
using Akka.Event;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// Bounds how long a persistent actor waits for the journal. While a write is unconfirmed the actor stashes every
/// message, its own timers included, and Akka.Persistence has no timeout of its own: a journal that never answers one
/// write (seen here under load) leaves the actor silent forever, with asks unanswered and step timers unprocessed.
/// The watchdog, armed before each write and disarmed when the write's handler runs, kills the actor when a write
/// stays unconfirmed past the limit; its parent (sharding with remembered entities, or a singleton manager's
/// supervisor) starts it again, and the new incarnation recovers what the journal really holds. The kill is an
/// auto-received message, so it is not stashed.
/// </summary>
public sealed class JournalWatchdog
{
    private readonly IActorContext _context;
    private readonly TimeSpan _limit;
    private readonly string _what;
    private long _armed;
    private long _confirmed;
    private volatile bool _stopped;

    /// <summary>A watchdog for the actor of <paramref name="context"/>, named <paramref name="what"/> in the log.</summary>
    public JournalWatchdog(IActorContext context, TimeSpan limit, string what)
    {
        _context = context;
        _limit = limit;
        _what = what;
    }

    /// <summary>Call just before Persist/PersistAll; returns the write's ticket for <see cref="Confirm"/>.</summary>
    public long Arm()
    {
        var ticket = ++_armed;
        var self = _context.Self;
        var log = _context.System.Log;
        _context.System.Scheduler.Advanced.ScheduleOnce(_limit, () =>
        {
            if (!_stopped && Volatile.Read(ref _confirmed) < ticket)
            {
                log.Error("{0}: the journal has not confirmed a write within {1:0.#} s; restarting it to recover from the journal", _what, _limit.TotalSeconds);
                self.Tell(Kill.Instance);
            }
        });
        return ticket;
    }

    /// <summary>Call in the handler of the write (or of the last event of a batch).</summary>
    public void Confirm(long ticket)
    {
        if (ticket > Volatile.Read(ref _confirmed))
        {
            Volatile.Write(ref _confirmed, ticket);
        }
    }

    /// <summary>Call from PostStop: a late check must not kill the next incarnation.</summary>
    public void Stop() => _stopped = true;
}
