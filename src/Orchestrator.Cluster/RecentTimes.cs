namespace Orchestrator.Cluster;

/// <summary>
/// The last few durations of one kind of work and their median: a measure that follows the machine as it changes and
/// that one slow outlier does not move. Not thread-safe.
/// </summary>
/// <param name="window">How many durations are remembered.</param>
public sealed class RecentTimes(int window = 8)
{
    private readonly Queue<TimeSpan> _runs = new(window);

    /// <summary>How many durations it holds.</summary>
    public int Count => _runs.Count;

    /// <summary>Adds one duration (a negative one counts as zero), forgetting the oldest beyond the window.</summary>
    public void Add(TimeSpan took)
    {
        if (_runs.Count == window)
        {
            _runs.Dequeue();
        }

        _runs.Enqueue(took < TimeSpan.Zero ? TimeSpan.Zero : took);
    }

    /// <summary>The median of what it holds; zero when empty.</summary>
    public TimeSpan Median
    {
        get
        {
            if (_runs.Count == 0)
            {
                return TimeSpan.Zero;
            }

            var sorted = _runs.Order().ToArray();
            var half = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
        }
    }
}
