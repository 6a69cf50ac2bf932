using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The data_fd handed out by <see cref="SimulatedPfDriver"/>. It is alive while its session is the VF's current one;
/// once the VF leaves the saving group (or RESUMING), is reset, fails or is destroyed, every call answers ENODEV.
/// </summary>
internal sealed class SimDataStream : IVfioDataStream
{
    private readonly SimulatedPfDriver _driver;
    private readonly SimVf _vf;
    private readonly SaveSession? _save;
    private readonly ResumeSession? _resume;
    private volatile bool _closed;

    public SimDataStream(SimulatedPfDriver driver, SimVf vf, SaveSession save)
    {
        _driver = driver;
        _vf = vf;
        _save = save;
    }

    public SimDataStream(SimulatedPfDriver driver, SimVf vf, ResumeSession resume)
    {
        _driver = driver;
        _vf = vf;
        _resume = resume;
    }

    public bool IsSaving => _save is not null;

    private bool Alive => !_closed && (_save is not null ? ReferenceEquals(_vf.Saving, _save) : ReferenceEquals(_vf.Resuming, _resume));

    public ValueTask<VfioReadResult> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_save is null)
        {
            throw new VfioException(VfioErrno.EINVAL, $"{Name}: read on a resuming stream");
        }

        lock (_vf.Gate)
        {
            EnsureAlive();
            _vf.Advance();
            var n = _save.Read(buffer.Span);
            if (_save.Summary is { } saved && !ReferenceEquals(_vf.LastSaved, saved))
            {
                _vf.LastSaved = saved;
            }

            if (n > 0)
            {
                if (_driver.Faults.TakeReadCorruption())
                {
                    SimulatedFaults.Flip(buffer.Span[..n]);
                }

                return ValueTask.FromResult(VfioReadResult.Data(n));
            }

            if (buffer.Length == 0)
            {
                return ValueTask.FromResult(VfioReadResult.Data(0));
            }

            // STOP_COPY at the end: read() == 0 forever. PRE_COPY with nothing new: -ENOMSG (temporary).
            return ValueTask.FromResult(_save.Complete ? VfioReadResult.EndOfStream : VfioReadResult.NoDataYet);
        }
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_resume is null)
        {
            throw new VfioException(VfioErrno.EINVAL, $"{Name}: write on a saving stream");
        }

        bool initialImage;
        lock (_vf.Gate)
        {
            EnsureAlive();
            var span = data.Span;
            if (_driver.Faults.TakeWriteCorruption())
            {
                var copy = span.ToArray();
                SimulatedFaults.Flip(copy);
                span = copy;
            }

            try
            {
                _resume.Write(span);
            }
            catch (VfioException e)
            {
                throw new VfioException(e.Errno, $"{Name}: {ErrnoText.Detail(e)}");
            }

            initialImage = _resume.TakeInitialImage();
        }

        return initialImage ? LoadInitialImageAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    // mlx5 loads an image in the write() that completes it: this write returns once the first image is in the device.
    private async ValueTask LoadInitialImageAsync(CancellationToken cancellationToken)
    {
        await _driver.LoadInitialImageAsync(cancellationToken).ConfigureAwait(false);
        lock (_vf.Gate)
        {
            EnsureAlive();
            _resume!.InitialImageLoaded = true;
        }
    }

    public PreCopyInfo GetPreCopyInfo()
    {
        lock (_vf.Gate)
        {
            if (_save is null || _vf.State is not (VfioDeviceState.PreCopy or VfioDeviceState.PreCopyP2P))
            {
                throw new VfioException(VfioErrno.EINVAL, $"{Name}: PRECOPY_INFO in {_vf.State.Name()}");
            }

            EnsureAlive();
            _vf.Advance();
            var (initial, dirty) = _save.PreCopyInfo();
            return new PreCopyInfo(initial, dirty);
        }
    }

    public ValueTask DisposeAsync()
    {
        // Closing the fd ends this handle; the device stays in its state until the next SET, as in the kernel.
        _closed = true;
        return ValueTask.CompletedTask;
    }

    private string Name => $"VF {_vf.Index} on {_driver.Descriptor.Address} data stream";

    private void EnsureAlive()
    {
        if (!Alive)
        {
            throw new VfioException(VfioErrno.ENODEV, $"{Name} is dead (VF now {_vf.State.Name()}, or reset, failed, destroyed or closed)");
        }
    }
}
