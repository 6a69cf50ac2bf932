using System.Diagnostics;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>
/// The clock of modelled command latencies: its timers behave as <see cref="TimeProvider.System"/>'s do (one-shot,
/// periodic, changed, disposed, cancelled) and never fire before they are due. How late they fire is a figure of the
/// benchmarks, not asserted here.
/// </summary>
public class HighResolutionTimeProviderTests
{
    private static readonly TimeProvider Time = HighResolutionTimeProvider.Instance;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(20)]
    public async Task A_delay_never_ends_before_it_is_due(int milliseconds)
    {
        var delay = TimeSpan.FromMilliseconds(milliseconds);
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(delay, Time).WaitAsync(Patience);
            Assert.True(Stopwatch.GetElapsedTime(started) >= delay, $"a {milliseconds} ms delay ended after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.###} ms");
        }
    }

    [Fact]
    public async Task Timers_fire_in_due_order_whatever_order_they_were_created_in()
    {
        var fired = new List<int>();
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timers = new List<ITimer>();
        // 200 ms apart: more than the test's thread or the thread pool is ever held up between two of them.
        foreach (var (id, ms) in new[] { (3, 600), (1, 200), (2, 400) })
        {
            timers.Add(Time.CreateTimer(_ =>
            {
                lock (fired)
                {
                    fired.Add(id);
                    if (fired.Count == 3)
                    {
                        last.TrySetResult();
                    }
                }
            }, null, TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan));
        }

        await last.Task.WaitAsync(Patience);
        Assert.Equal([1, 2, 3], fired);
        timers.ForEach(t => t.Dispose());
    }

    [Fact]
    public async Task An_earlier_timer_fires_while_the_clock_waits_for_a_later_one()
    {
        var late = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var later = Time.CreateTimer(_ => late.TrySetResult(), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        await Task.Delay(TimeSpan.FromMilliseconds(5), Time).WaitAsync(Patience); // the clock now waits for the hour
        await Task.Delay(TimeSpan.FromMilliseconds(5), Time).WaitAsync(Patience);
        Assert.False(late.Task.IsCompleted);
    }

    [Fact]
    public async Task A_disposed_or_rescheduled_timer_does_not_fire_at_its_old_due_time()
    {
        // Due in a second, so that the test's own thread is never that slow between creating and disposing.
        var disposedFired = 0;
        var changedFired = 0;
        var disposed = Time.CreateTimer(_ => Interlocked.Increment(ref disposedFired), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var changed = Time.CreateTimer(_ => Interlocked.Increment(ref changedFired), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        Assert.True(changed.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

        await Task.Delay(TimeSpan.FromSeconds(1.5), Time).WaitAsync(Patience); // due after both old due times
        Assert.Equal(0, Volatile.Read(ref disposedFired));
        Assert.Equal(0, Volatile.Read(ref changedFired));

        Assert.True(changed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        await WaitUntil(() => Volatile.Read(ref changedFired) == 1);
    }

    [Fact]
    public async Task A_timer_pushed_back_on_every_step_fires_once_after_the_last_push()
    {
        // As an idle timeout re-armed before every read: only the last due time counts.
        var due = TimeSpan.FromMilliseconds(500);
        var count = 0;
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = Time.CreateTimer(_ =>
        {
            Interlocked.Increment(ref count);
            fired.TrySetResult(Stopwatch.GetTimestamp());
        }, null, due, Timeout.InfiniteTimeSpan);
        var lastPush = 0L;
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), Time).WaitAsync(Patience);
            lastPush = Stopwatch.GetTimestamp();
            Assert.True(timer.Change(due, Timeout.InfiniteTimeSpan));
        }

        var at = await fired.Task.WaitAsync(Patience);
        Assert.True(Stopwatch.GetElapsedTime(lastPush, at) >= due);
        await Task.Delay(due, Time).WaitAsync(Patience);
        Assert.Equal(1, Volatile.Read(ref count));
    }

    [Fact]
    public async Task A_timer_moved_earlier_fires_at_its_new_time()
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = Time.CreateTimer(_ => fired.TrySetResult(), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan));
        await fired.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_periodic_timer_fires_until_disposed()
    {
        var count = 0;
        var timer = Time.CreateTimer(_ => Interlocked.Increment(ref count), null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2));
        await WaitUntil(() => Volatile.Read(ref count) >= 3);
        await timer.DisposeAsync();

        // Callbacks handed to the thread pool before the disposal may still run; after them the count stays put (a
        // timer that went on firing every 2 ms would never be still for 200 ms).
        var seen = Volatile.Read(ref count);
        var stillSince = Stopwatch.GetTimestamp();
        await WaitUntil(() =>
        {
            var now = Volatile.Read(ref count);
            if (now != seen)
            {
                (seen, stillSince) = (now, Stopwatch.GetTimestamp());
            }

            return Stopwatch.GetElapsedTime(stillSince) >= TimeSpan.FromMilliseconds(200);
        });
    }

    [Fact]
    public async Task A_cancelled_delay_ends_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var delay = Task.Delay(TimeSpan.FromHours(1), Time, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delay.WaitAsync(Patience));
    }

    [Fact]
    public void A_negative_due_time_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Time.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(-2), Timeout.InfiniteTimeSpan));
        Assert.Equal("dueTime", e.ParamName);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Patience.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, "condition not met within the patience");
            await Task.Delay(TimeSpan.FromMilliseconds(1), Time);
        }
    }
}
