namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// Token bucket for the bandwidth policy: refills at <c>bytesPerSecond</c> up to <c>burstBytes</c> and starts
/// full. <see cref="Reserve"/> always grants (the bucket may go into debt) and answers how long the caller must
/// wait before sending, so a chunk larger than the burst still goes out, just later. Exact integer arithmetic in
/// byte × timestamp-tick units, so long transfers do not drift. Thread-safe: the senders of one PF's VFs stream side by
/// side and share one bucket, so that one cap holds for them together.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _timeProvider;
    private readonly long _bytesPerSecond;
    private readonly Int128 _capacity;
    private readonly long _frequency;
    private readonly Lock _gate = new();
    private Int128 _credit;
    private long _lastTimestamp;

    /// <summary>Creates a full bucket.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate or burst that is not positive.</exception>
    public TokenBucket(long bytesPerSecond, long burstBytes, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstBytes);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _bytesPerSecond = bytesPerSecond;
        _frequency = timeProvider.TimestampFrequency;
        _capacity = (Int128)burstBytes * _frequency;
        _credit = _capacity;
        _lastTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Bytes per second the bucket refills with.</summary>
    public long BytesPerSecond => _bytesPerSecond;

    /// <summary>Bytes currently available (negative while in debt).</summary>
    public long AvailableBytes
    {
        get
        {
            lock (_gate)
            {
                Refill();
                return (long)(_credit / _frequency);
            }
        }
    }

    /// <summary>Takes <paramref name="bytes"/> and answers the wait before they may be sent (zero when covered).</summary>
    public TimeSpan Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Int128 debt;
        lock (_gate)
        {
            Refill();
            _credit -= (Int128)bytes * _frequency;
            if (_credit >= 0)
            {
                return TimeSpan.Zero;
            }

            debt = -_credit;
        }

        // Debt in byte·ticks divided by the rate gives timestamp ticks; round up so the wait never falls short.
        var waitTicks = (debt + _bytesPerSecond - 1) / _bytesPerSecond;
        return TimeSpan.FromTicks((long)(((waitTicks * TimeSpan.TicksPerSecond) + _frequency - 1) / _frequency));
    }

    private void Refill()
    {
        var now = _timeProvider.GetTimestamp();
        var elapsed = now - _lastTimestamp;
        _lastTimestamp = now;
        if (elapsed > 0)
        {
            _credit = Int128.Min(_capacity, _credit + (Int128)elapsed * _bytesPerSecond);
        }
    }
}
