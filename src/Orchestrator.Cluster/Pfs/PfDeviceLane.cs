using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The PF's command channel: state-changing driver commands (create, destroy, state arcs, reset) run one at a time,
/// as they do through a PF's firmware command interface. Data-stream reads and writes do not take the lane.
/// </summary>
internal sealed class PfDeviceLane(IPfDriver driver, Action<int, VfioDeviceState?, VfioDeviceState, MigrationTicket?> stateChanged) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly object _reportGate = new();
    private readonly Dictionary<int, VfioDeviceState> _reported = [];

    public IPfDriver Driver { get; } = driver;

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

    /// <summary>Forgets a destroyed VF.</summary>
    public void Forget(int index)
    {
        lock (_reportGate)
        {
            _reported.Remove(index);
        }
    }

    public async Task<T> RunAsync<T>(Func<IPfDriver, Task<T>> command, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await command(Driver).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task RunAsync(Func<IPfDriver, Task> command, CancellationToken cancellationToken) =>
        RunAsync(async d =>
        {
            await command(d).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Walks the kernel path to <paramref name="target"/>; returns the stream the last arc opened.</summary>
    public async Task<IVfioDataStream?> SetStateAsync(int index, VfioDeviceState target, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(d => VfioDevice.SetStateAsync(d, index, target, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    /// <summary>Brings a VF back to RUNNING whatever state it is in: the kernel path, or a reset out of ERROR.</summary>
    public async Task ResumeAsync(int index, MigrationTicket? cause, CancellationToken cancellationToken)
    {
        try
        {
            await ResumeCoreAsync(index, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Observe(index, cause);
        }
    }

    private Task ResumeCoreAsync(int index, CancellationToken cancellationToken) =>
        RunAsync(async d =>
        {
            if (!d.ListVfs().Any(v => v.Index == index))
            {
                throw new VfioException(VfioErrno.ENOENT, $"VF {index} on {d.Descriptor.Address} does not exist");
            }

            var state = d.GetDeviceState(index);
            if (state == VfioDeviceState.Running)
            {
                return;
            }

            try
            {
                if (state != VfioDeviceState.Error)
                {
                    await VfioDevice.SetStateAsync(d, index, VfioDeviceState.Running, cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
            catch (VfioException)
            {
                // Fall through to the reset: QEMU does the same when the recover state cannot be reached.
            }

            await d.ResetAsync(index, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Resets (kills any stream) and destroys a VF; a missing VF is already destroyed.</summary>
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

    private Task DestroyCoreAsync(int index, CancellationToken cancellationToken) =>
        RunAsync(async d =>
        {
            if (!d.ListVfs().Any(v => v.Index == index))
            {
                return;
            }

            if (d.GetDeviceState(index) != VfioDeviceState.Running)
            {
                await d.ResetAsync(index, cancellationToken).ConfigureAwait(false);
            }

            await d.DestroyVfAsync(index, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public void Dispose() => _gate.Dispose();
}
