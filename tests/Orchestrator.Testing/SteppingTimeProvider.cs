using Microsoft.Extensions.Time.Testing;

namespace Orchestrator.Testing;

/// <summary>
/// The tests' fake clock (<see cref="FakeTimeProvider"/>: it moves only on <c>Advance</c>, which fires the timers that
/// fall due) that also lets a test wait until the code under test has scheduled a timer and jump straight to it,
/// instead of sleeping or guessing the step.
/// </summary>
public sealed class SteppingTimeProvider : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ProbedTimer> _timers = [];
    private TaskCompletionSource _scheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A clock that starts at 2026-01-01 00:00 UTC.</summary>
    public SteppingTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ProbedTimer(this, base.CreateTimer(callback, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once some timer is due in the future.</summary>
    public async Task WhenTimerScheduledAsync()
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var now = GetUtcNow();
                if (_timers.Exists(t => t.NextDue(now) is not null))
                {
                    return;
                }

                changed = _scheduled.Task;
            }

            await changed;
        }
    }

    /// <summary>Moves the clock to the earliest timer due and fires it; answers the step taken.</summary>
    public TimeSpan AdvanceToNextTimer()
    {
        var now = GetUtcNow();
        DateTimeOffset? next;
        lock (_lock)
        {
            next = _timers.Select(t => t.NextDue(now)).Where(d => d is not null).Min();
        }

        var step = next is { } due ? due - now : TimeSpan.Zero;
        Advance(step);
        return step;
    }

    private void Scheduled(ProbedTimer timer, bool add)
    {
        TaskCompletionSource? signal = null;
        lock (_lock)
        {
            if (!add)
            {
                _timers.Remove(timer);
                return;
            }

            if (!_timers.Contains(timer))
            {
                _timers.Add(timer);
            }

            signal = _scheduled;
            _scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    /// <summary>The fake clock's timer, with its due time and period kept where the probe can read them.</summary>
    private sealed class ProbedTimer(SteppingTimeProvider owner, ITimer inner) : ITimer
    {
        private DateTimeOffset? _due;
        private TimeSpan? _period;

        /// <summary>When it fires next as of <paramref name="now"/>; null when it will not.</summary>
        public DateTimeOffset? NextDue(DateTimeOffset now)
        {
            if (_due is not { } due)
            {
                return null;
            }

            if (due > now)
            {
                return due;
            }

            if (_period is not { } period)
            {
                return null; // fired
            }

            while (due <= now)
            {
                due += period;
            }

            return due;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _due = dueTime == Timeout.InfiniteTimeSpan ? null : owner.GetUtcNow() + dueTime;
            _period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            var changed = inner.Change(dueTime, period);
            owner.Scheduled(this, add: _due is not null);
            return changed;
        }

        public void Dispose()
        {
            owner.Scheduled(this, add: false);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
