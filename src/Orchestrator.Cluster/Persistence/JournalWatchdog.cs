using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Orchestrator.Cluster.Telemetry;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// Bounds how long a persistent actor waits for the journal. While a write is unconfirmed the actor stashes every
/// message, its own timers included, and Akka.Persistence has no timeout of its own: a journal that never answers one
/// write (seen here under load) leaves the actor silent forever, with asks unanswered and step timers unprocessed.
/// The watchdog, armed before each write and disarmed when the write's handler runs, kills the actor when a write
/// stays unconfirmed past the limit; its parent (sharding with remembered entities, or a singleton manager's
/// supervisor) starts it again, and the new incarnation recovers what the journal really holds. The kill is an
/// auto-received message, so it is not stashed. It also measures each write (<see cref="ClusterMetrics.JournalWriteDuration"/>).
/// </summary>
public sealed class JournalWatchdog
{
    private readonly IActorContext _context;
    private readonly TimeSpan _limit;
    private readonly string _what;
    private readonly KeyValuePair<string, object?> _writer;
    private readonly Queue<(long Ticket, long Started)> _started = new(); // unconfirmed writes, oldest first
    private long _armed;
    private long _confirmed;
    private volatile bool _stopped;

    /// <summary>
    /// A watchdog for the actor of <paramref name="context"/>, named <paramref name="what"/> in the log and
    /// <paramref name="writer"/> (its kind: <c>migration</c>, <c>host</c>, <c>reconciler</c>) in the metrics.
    /// </summary>
    public JournalWatchdog(IActorContext context, TimeSpan limit, string what, string writer)
    {
        _context = context;
        _limit = limit;
        _what = what;
        _writer = new(ClusterMetrics.WriterTag, writer);
    }

    /// <summary>Call just before Persist/PersistAll; returns the write's ticket for <see cref="Confirm"/>.</summary>
    public long Arm()
    {
        var ticket = ++_armed;
        _started.Enqueue((ticket, Stopwatch.GetTimestamp()));
        var self = _context.Self;
        var log = _context.System.Log;
        var writer = _writer;
        _context.System.Scheduler.Advanced.ScheduleOnce(_limit, () =>
        {
            if (!_stopped && Volatile.Read(ref _confirmed) < ticket)
            {
                log.Error("{Writer}: the journal has not confirmed a write within {LimitSeconds:0.#} s; restarting it to recover from the journal", _what, _limit.TotalSeconds);
                ClusterMetrics.JournalWriteTimeouts.Add(1, writer);
                self.Tell(Kill.Instance);
            }
        });
        return ticket;
    }

    /// <summary>Call in the handler of the write (or of the last event of a batch).</summary>
    public void Confirm(long ticket)
    {
        // Writes are confirmed in order: this one and every earlier one still waiting are done.
        while (_started.TryPeek(out var write) && write.Ticket <= ticket)
        {
            _started.Dequeue();
            if (write.Ticket == ticket)
            {
                ClusterMetrics.JournalWriteDuration.Record(Stopwatch.GetElapsedTime(write.Started).TotalSeconds, _writer);
            }
        }

        if (ticket > Volatile.Read(ref _confirmed))
        {
            Volatile.Write(ref _confirmed, ticket);
        }
    }

    /// <summary>Call from PostStop: a late check must not kill the next incarnation.</summary>
    public void Stop() => _stopped = true;
}
