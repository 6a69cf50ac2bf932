namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// One cancellation token for a sequence of steps, each of which must finish within the idle timeout: re-armed
/// before every read, write or sink call, so a slow but moving stream never trips it while a stalled peer does.
/// Also cancelled by the caller's token and by <see cref="Cancel"/> (a failure reported by the peer), and tells
/// the three causes apart afterwards.
/// </summary>
internal sealed class IdleDeadline : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _outer;
    private readonly CancellationTokenRegistration _outerRegistration;
    private readonly TimeSpan _timeout;
    private volatile bool _forced;

    public IdleDeadline(TimeSpan timeout, TimeProvider timeProvider, CancellationToken outer)
    {
        _timeout = timeout;
        _outer = outer;
        // Built on the TimeProvider so tests with a manual clock decide when an idle timeout fires.
        _cts = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _outerRegistration = outer.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _cts);
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>True when the timer (not the caller, not <see cref="Cancel"/>) cancelled the token.</summary>
    public bool IsExpired => _cts.IsCancellationRequested && !_outer.IsCancellationRequested && !_forced;

    /// <summary>Restarts the idle timer and answers the token to pass to the next step.</summary>
    public CancellationToken Arm()
    {
        if (_timeout != Timeout.InfiniteTimeSpan && !_cts.IsCancellationRequested)
        {
            _cts.CancelAfter(_timeout);
        }

        return _cts.Token;
    }

    /// <summary>Stops the idle timer, for a deliberate wait (the bandwidth cap) that is not a stall.</summary>
    public CancellationToken Disarm()
    {
        if (_timeout != Timeout.InfiniteTimeSpan && !_cts.IsCancellationRequested)
        {
            _cts.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        return _cts.Token;
    }

    /// <summary>Cancels the current step because of something other than the clock or the caller.</summary>
    public void Cancel()
    {
        _forced = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        _outerRegistration.Dispose();
        _cts.Dispose();
    }
}
