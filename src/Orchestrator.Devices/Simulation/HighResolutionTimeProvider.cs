using System.Diagnostics;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The system clock, with timers kept to the millisecond. <see cref="TimeProvider.System"/>'s
/// timers (and so <c>Task.Delay</c>) count time in <see cref="Environment.TickCount64"/>, which on Linux reads
/// <c>CLOCK_MONOTONIC_COARSE</c>: one kernel tick, 4 ms on a HZ=250 kernel. There a 1 ms delay took 3.5 ms (median)
/// and a 9 ms delay 11.8 ms, so every modelled command latency came out up to a tick long and a downtime of a few
/// modelled commands was several milliseconds longer than the model says. Here one thread waits for the earliest
/// due timer with <see cref="Monitor.Wait(object, int)"/>, whose timeout the kernel keeps to the microsecond,
/// measured on <see cref="Stopwatch"/>, and hands each callback to the thread pool. A timer fires at most ~1 ms
/// late (the wait's whole milliseconds), never early. A timer moved earlier or disposed leaves its old entry queued
/// until that entry's time, when it is skipped.
/// </summary>
public sealed class HighResolutionTimeProvider : TimeProvider
{
    /// <summary>The shared instance (one timer thread per process, started at the first timer).</summary>
    public static HighResolutionTimeProvider Instance { get; } = new();

    private readonly object _gate = new();
    private readonly PriorityQueue<Timer, long> _due = new();
    private bool _running;

    private HighResolutionTimeProvider()
    {
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Queues <paramref name="timer"/> at <paramref name="due"/>; under the lock.</summary>
    private void Enqueue(Timer timer, long due)
    {
        _due.Enqueue(timer, due);
        if (!_running)
        {
            _running = true;
            new Thread(Run) { IsBackground = true, Name = "high-resolution timers" }.Start();
        }
        else if (_due.TryPeek(out var first, out _) && ReferenceEquals(first, timer))
        {
            Monitor.Pulse(_gate); // the earliest now: the thread may be waiting for a later one
        }
    }

    private void Run()
    {
        lock (_gate)
        {
            while (true)
            {
                if (!_due.TryPeek(out var timer, out var due))
                {
                    Monitor.Wait(_gate);
                    continue;
                }

                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (remaining > TimeSpan.Zero)
                {
                    // Whole milliseconds: the timeout of Monitor.Wait. What is left under one is waited as one more
                    // millisecond, so a timer fires at most ~1 ms late and never early.
                    Monitor.Wait(_gate, (int)Math.Clamp(remaining.TotalMilliseconds, 1, int.MaxValue));
                    continue;
                }

                _due.Dequeue();
                timer.Come(due);
            }
        }
    }

    /// <summary>
    /// A timer is queued at most once for its current due time, and at most once more for an earlier one it was
    /// moved from: a timer re-armed to a later time (an idle timeout pushed back on every read) only updates its due
    /// time, and its entry, when it comes up, queues it again for the new one.
    /// </summary>
    private sealed class Timer(HighResolutionTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private const long Never = long.MaxValue;
        private long _due = Never;
        private long _queuedAt = Never;
        private long _period;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            CheckTimeout(dueTime, nameof(dueTime));
            CheckTimeout(period, nameof(period));
            lock (owner._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _period = period == Timeout.InfiniteTimeSpan ? 0 : Ticks(period);
                _due = dueTime == Timeout.InfiniteTimeSpan ? Never : Stopwatch.GetTimestamp() + Ticks(dueTime);
                if (_due < _queuedAt)
                {
                    _queuedAt = _due;
                    owner.Enqueue(this, _due);
                }
            }

            return true;
        }

        /// <summary>One of this timer's entries came up, at <paramref name="at"/>; under the owner's lock.</summary>
        public void Come(long at)
        {
            if (at != _queuedAt)
            {
                return; // an entry it was moved from
            }

            _queuedAt = Never;
            if (_due == Never)
            {
                return; // stopped or disposed
            }

            if (_due > at)
            {
                _queuedAt = _due; // moved later since it was queued
                owner.Enqueue(this, _due);
                return;
            }

            // As System.Threading.Timer: the next period counts from now, a late timer does not catch up.
            _due = _period > 0 ? Stopwatch.GetTimestamp() + _period : Never;
            if (_due != Never)
            {
                _queuedAt = _due;
                owner.Enqueue(this, _due);
            }

            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Callback(s.State), (Callback: callback, State: state), preferLocal: false);
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                _disposed = true;
                _due = Never;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private const double MaxMilliseconds = uint.MaxValue - 1; // System.Threading.Timer's limit

        private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

        private static void CheckTimeout(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.TotalMilliseconds > MaxMilliseconds))
            {
                throw new ArgumentOutOfRangeException(name, value, $"must be from 0 to {MaxMilliseconds} ms, or Timeout.InfiniteTimeSpan");
            }
        }
    }
}
