using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// How long each direct state arc has taken on one PF: the median of its last <see cref="Window"/> successful runs.
/// The kernel's uAPI says nothing of how long an arc takes, and the VF's stop (→STOP_COPY) and the target's load and
/// start sit inside the downtime window, so the PF measures what its device did and predicts a path from that.
/// Thread-safe: arcs of different VFs run concurrently in the lane.
/// </summary>
public sealed class ArcTimes
{
    /// <summary>Runs remembered per arc.</summary>
    public const int Window = 8;

    private readonly Dictionary<(VfioDeviceState From, VfioDeviceState To), RecentTimes> _runs = [];

    /// <summary>Records one successful run of the direct arc <paramref name="from"/>→<paramref name="to"/>.</summary>
    public void Record(VfioDeviceState from, VfioDeviceState to, TimeSpan took)
    {
        lock (_runs)
        {
            if (!_runs.TryGetValue((from, to), out var runs))
            {
                runs = new RecentTimes(Window);
                _runs[(from, to)] = runs;
            }

            runs.Add(took);
        }
    }

    /// <summary>The median run of one direct arc, or null when it never ran here.</summary>
    public TimeSpan? Of(VfioDeviceState from, VfioDeviceState to)
    {
        lock (_runs)
        {
            return _runs.TryGetValue((from, to), out var runs) ? runs.Median : null;
        }
    }

    /// <summary>
    /// What walking the kernel's path <paramref name="from"/>→<paramref name="to"/> should take: the sum of its arcs'
    /// medians. An arc that never ran on this PF (a fresh PF's load and start, before its first migration in) counts as
    /// a typical arc of this device, the median of the arcs that did: one slow arc (a slow load) must not make every
    /// unknown arc look as slow. Nothing measured yet counts zero.
    /// </summary>
    public TimeSpan Estimate(MigrationFlags flags, VfioDeviceState from, VfioDeviceState to)
    {
        var path = VfioFsm.Path(flags, from, to);
        if (!path.IsAllowed)
        {
            return TimeSpan.Zero;
        }

        lock (_runs)
        {
            var typical = new RecentTimes(Math.Max(1, _runs.Count));
            foreach (var runs in _runs.Values)
            {
                typical.Add(runs.Median);
            }

            var total = TimeSpan.Zero;
            for (var i = 1; i < path.States.Count; i++)
            {
                total += _runs.TryGetValue((path.States[i - 1], path.States[i]), out var runs) ? runs.Median : typical.Median;
            }

            return total;
        }
    }
}
