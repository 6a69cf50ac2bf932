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
/// late (the wait's whole milliseconds), never early. A changed or disposed timer's old entry stays queued until its
/// due time and is skipped then.
/// </summary>
public sealed class HighResolutionTimeProvider : TimeProvider
{
    /// <summary>The shared instance (one timer thread per process, started at the first timer).</summary>
    public static HighResolutionTimeProvider Instance { get; } = new();

    private readonly object _gate = new();
    private readonly PriorityQueue<(Timer Timer, long Version), long> _due = new();
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

    private void Schedule(Timer timer, long version, long dueTimestamp)
    {
        lock (_gate)
        {
            _due.Enqueue((timer, version), dueTimestamp);
            if (!_running)
            {
                _running = true;
                new Thread(Run) { IsBackground = true, Name = "high-resolution timers" }.Start();
            }
            else if (_due.TryPeek(out var first, out _) && ReferenceEquals(first.Timer, timer) && first.Version == version)
            {
                Monitor.Pulse(_gate); // the new timer is the earliest: the thread may be waiting for a later one
            }
        }
    }

    private void Run()
    {
        lock (_gate)
        {
            while (true)
            {
                if (!_due.TryPeek(out var entry, out var due))
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
                entry.Timer.Fire(entry.Version);
            }
        }
    }

    private sealed class Timer(HighResolutionTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _version;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            CheckTimeout(dueTime, nameof(dueTime));
            CheckTimeout(period, nameof(period));
            long version;
            lock (owner._gate)
            {
                if (_version < 0)
                {
                    return false;
                }

                version = ++_version; // entries of earlier versions stay queued and are skipped when they come due
                _period = period;
            }

            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                owner.Schedule(this, version, Stopwatch.GetTimestamp() + Ticks(dueTime));
            }

            return true;
        }

        /// <summary>Called by the timer thread, under the owner's lock.</summary>
        public void Fire(long version)
        {
            if (version != _version)
            {
                return;
            }

            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                owner._due.Enqueue((this, version), Stopwatch.GetTimestamp() + Ticks(_period)); // as System.Threading.Timer: no catching up
            }

            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Callback(s.State), (Callback: callback, State: state), preferLocal: false);
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                _version = -1;
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
