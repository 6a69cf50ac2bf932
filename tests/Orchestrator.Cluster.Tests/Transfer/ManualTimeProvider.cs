namespace Orchestrator.Cluster.Tests.Transfer;

/// <summary>
/// A clock that moves only when the test says so, with timers that fire on <see cref="Advance"/>. Small stand-in
/// for FakeTimeProvider (not referenced by this test project) that also lets a test wait until the code under
/// test has scheduled a timer, instead of sleeping.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private TaskCompletionSource _scheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public TimeSpan Elapsed
    {
        get
        {
            lock (_lock)
            {
                return TimeSpan.FromTicks(_ticks);
            }
        }
    }

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _ticks;
        }
    }

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once some timer with a finite due time is scheduled.</summary>
    public async Task WhenTimerScheduledAsync()
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_timers.Exists(t => t.DueAt is not null))
                {
                    return;
                }

                changed = _scheduled.Task;
            }

            await changed;
        }
    }

    /// <summary>Moves the clock to the earliest scheduled timer and fires it; answers the step taken.</summary>
    public TimeSpan AdvanceToNextTimer()
    {
        long? next;
        lock (_lock)
        {
            next = _timers.Where(t => t.DueAt is not null).Min(t => t.DueAt);
        }

        var step = next is long due ? TimeSpan.FromTicks(Math.Max(0, due - GetTimestamp())) : TimeSpan.Zero;
        Advance(step);
        return step;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            _ticks += by.Ticks;
            due = _timers.Where(t => t.DueAt <= _ticks).ToList();
            foreach (var timer in due)
            {
                timer.DueAt = timer.Period is { } period ? _ticks + period : null;
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        TaskCompletionSource? signal = null;
        lock (_lock)
        {
            timer.DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _ticks + dueTime.Ticks;
            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period.Ticks;
            if (!_timers.Contains(timer))
            {
                _timers.Add(timer);
            }

            if (timer.DueAt is not null)
            {
                signal = _scheduled;
                _scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        signal?.TrySetResult();
    }

    private void Remove(ManualTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueAt { get; set; }

        public long? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
