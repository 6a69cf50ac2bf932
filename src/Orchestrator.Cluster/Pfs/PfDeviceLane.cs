using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The PF's command channel. State-changing driver commands (create, destroy, state arcs, reset) of one VF run one at a
/// time, as the kernel's per-device migration lock has them; commands of different VFs overlap, up to the PF's
/// migration limit at once (a firmware command interface has several command slots: mlx5's has 32; the migrating VFs
/// are what issue commands, so the limit is the width that matters). Commands without a VF index run alone.
/// Data-stream reads and writes do not take the lane.
/// </summary>
internal sealed class PfDeviceLane(IPfDriver driver, Action<int, VfioDeviceState?, VfioDeviceState, MigrationTicket?> stateChanged, TimeProvider clock, ArcTimes arcs) : IDisposable
{
    private readonly int _width = Math.Max(1, driver.Descriptor.MaxConcurrentMigrations);
    private readonly SemaphoreSlim _gate = new(Math.Max(1, driver.Descriptor.MaxConcurrentMigrations), Math.Max(1, driver.Descriptor.MaxConcurrentMigrations));
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private readonly Dictionary<int, SemaphoreSlim> _vfGates = [];
    private readonly object _reportGate = new();
    private readonly Dictionary<int, VfioDeviceState> _reported = [];
    private readonly Dictionary<int, int> _busy = [];

    /// <summary>How long this PF's device has taken for each state arc (what a switchover prediction is made of).</summary>
    public ArcTimes Arcs => arcs;

    /// <summary>The driver; its state arcs are timed into <see cref="Arcs"/>.</summary>
    public IPfDriver Driver { get; } = new ArcTimingDriver(driver, arcs, clock);

    /// <summary>
    /// Reports a VF's state if it changed since the last report, attributed to <paramref name="cause"/>: called after
    /// every device command with the ticket of the migration step that ran it, and by the PF actor for drift
    /// (a fault that dropped a VF into ERROR). Thread-safe: steps of different migrations run concurrently.
    /// </summary>
    public void Observe(int index, MigrationTicket? cause)
    {
        VfioDeviceState? now = Driver.ListVfs().FirstOrDefault(v => v.Index == index)?.State;
        lock (_reportGate)
        {
            VfioDeviceState? before = _reported.TryGetValue(index, out var b) ? b : null;
            if (now is not { } state)
            {
                _reported.Remove(index);
                return;
            }

            if (before == state)
            {
                return;
            }

            _reported[index] = state;
            stateChanged(index, before, state, cause);
        }
    }

    /// <summary>
    /// Reports a change that no command of this lane made (a fault, a reset by the device). A VF with a command in
    /// progress is skipped: a command's intermediate states (the reset before a destroy leaves the VF RUNNING for a few
    /// milliseconds) are not facts of their own, and the command reports where it ended, under its own ticket.
    /// </summary>
    public void ObserveDrift(int index, MigrationTicket? cause)
    {
        lock (_reportGate)
        {
            if (_busy.ContainsKey(index))
            {
                return;
            }
        }

        Observe(index, cause);
    }

    /// <summary>Forgets a destroyed VF.</summary>
    public void Forget(int index)
    {
        lock (_reportGate)
        {
            _reported.Remove(index);
        }
    }

    /// <summary>Runs a command of VF <paramref name="index"/> (null: a PF-wide command, which runs alone).</summary>
    public async Task<T> RunAsync<T>(int? index, Func<IPfDriver, Task<T>> command, CancellationToken cancellationToken)
    {
        // A VF's command holds its VF's gate and one slot; a PF-wide one the exclusive gate and then every slot (the
        // exclusive gate keeps two PF-wide commands from each holding some slots and waiting for the rest).
        var vf = index is { } i ? VfGate(i) : _exclusive;
        await vf.WaitAsync(cancellationToken).ConfigureAwait(false);
        var slots = 0;
        MarkBusy(index, +1);
        try
        {
            for (var wanted = index is null ? _width : 1; slots < wanted; slots++)
            {
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            return await command(Driver).ConfigureAwait(false);
        }
        finally
        {
            if (slots > 0)
            {
                _gate.Release(slots);
            }

            MarkBusy(index, -1);
            vf.Release();
        }
    }

    private void MarkBusy(int? index, int delta)
    {
        if (index is not { } i)
        {
            return;
        }

        lock (_reportGate)
        {
            var count = _busy.GetValueOrDefault(i) + delta;
            if (count > 0)
            {
                _busy[i] = count;
            }
            else
            {
                _busy.Remove(i);
            }
        }
    }

    public Task RunAsync(int? index, Func<IPfDriver, Task> command, CancellationToken cancellationToken) =>
        RunAsync(index, async d =>
        {
            await command(d).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private SemaphoreSlim VfGate(int index)
    {
        lock (_vfGates)
        {
            if (!_vfGates.TryGetValue(index, out var gate))
            {
                gate = new SemaphoreSlim(1, 1);
                _vfGates[index] = gate;
            }

            return gate;
        }
    }

    /// <summary>Walks the kernel path to <paramref name="target"/>; returns the stream the last arc opened.</summary>
    public async Task<IVfioDataStream?> SetStateAsync(int index, VfioDeviceState target, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(index, d => VfioDevice.SetStateAsync(d, index, target, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    /// <summary>
    /// Brings a VF back to RUNNING whatever state it is in: the kernel path, or a reset out of ERROR. Returns whether
    /// it reset the VF: a reset puts the device in RUNNING with fresh state (reference/vfio-migration.md), so whatever
    /// state it held (the state a target loaded, the workload's state on a source) is gone. A missing VF throws ENOENT.
    /// </summary>
    public async Task<bool> ResumeAsync(int index, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            return await ResumeCoreAsync(index, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    private Task<bool> ResumeCoreAsync(int index, CancellationToken cancellationToken) =>
        RunAsync(index, async d =>
        {
            if (!d.ListVfs().Any(v => v.Index == index))
            {
                throw new VfioException(VfioErrno.ENOENT, $"VF {index} on {d.Descriptor.Address} does not exist");
            }

            var state = d.GetDeviceState(index);
            if (state == VfioDeviceState.Running)
            {
                return false;
            }

            try
            {
                if (state != VfioDeviceState.Error)
                {
                    await VfioDevice.SetStateAsync(d, index, VfioDeviceState.Running, cancellationToken).ConfigureAwait(false);
                    return false;
                }
            }
            catch (VfioException)
            {
                // Fall through to the reset: QEMU does the same when the recover state cannot be reached.
            }

            await d.ResetAsync(index, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Destroys a VF in whatever state it is in (its streams die with it); a missing VF is already destroyed.</summary>
    public async Task DestroyAsync(int index, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            await DestroyCoreAsync(index, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    /// <summary>
    /// Destroys a VF only if <paramref name="refusal"/> finds no reason not to, judged on the VF as it is when its turn
    /// in the lane comes (no other command of that VF runs between the look and the destroy). Answers the refusal, or
    /// null when the VF was destroyed or was already gone.
    /// </summary>
    public async Task<string?> DestroyIfAsync(int index, Func<VfDescriptor, string?> refusal, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(index, async d =>
            {
                if (d.ListVfs().FirstOrDefault(v => v.Index == index) is not { } present)
                {
                    return null;
                }

                if (refusal(present) is { } reason)
                {
                    return reason;
                }

                await d.DestroyVfAsync(index, cancellationToken).ConfigureAwait(false);
                return (string?)null;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    private Task DestroyCoreAsync(int index, CancellationToken cancellationToken) =>
        RunAsync(index, async d =>
        {
            if (!d.ListVfs().Any(v => v.Index == index))
            {
                return;
            }

            // No reset first: destroying kills the VF's streams in any state, and a reset would put a released source
            // back in RUNNING while its target runs (seen when a held destroy outlived a kill -9 of the node).
            await d.DestroyVfAsync(index, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public void Dispose()
    {
        _gate.Dispose();
        _exclusive.Dispose();
        lock (_vfGates)
        {
            foreach (var gate in _vfGates.Values)
            {
                gate.Dispose();
            }
        }
    }
}
