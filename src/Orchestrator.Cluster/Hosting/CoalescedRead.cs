namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Concurrent callers share reads, but never one that began before they called (it could miss a change they must
/// see): the first caller starts a read; whoever calls while it runs shares the next one, which starts when it ends.
/// However many call at once, at most two reads are running or waiting at any time.
/// </summary>
/// <param name="read">Starts one read.</param>
public sealed class CoalescedRead<T>(Func<Task<T>> read)
{
    private readonly Lock _gate = new();
    private Task<T>? _running; // the read under way, if any
    private Task<T>? _next; // the one that starts when it ends, shared by who came meanwhile
    private long _started;

    /// <summary>How many reads have been started.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>A read that begins at or after this call.</summary>
    public Task<T> ReadAsync(CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_running is null)
            {
                _running = Begin();
                return _running.WaitAsync(ct);
            }

            _next ??= _running.ContinueWith(
                _ =>
                {
                    lock (_gate)
                    {
                        _running = Begin();
                        _next = null;
                        return _running;
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default).Unwrap();
            return _next.WaitAsync(ct);
        }
    }

    // Under the gate; the read clears itself when it ends unless a next one took its place.
    private Task<T> Begin()
    {
        Interlocked.Increment(ref _started);
        var task = Task.Run(read); // never run the read under the caller's lock
        task.ContinueWith(
            done =>
            {
                lock (_gate)
                {
                    if (_running == done)
                    {
                        _running = null;
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
        return task;
    }
}
