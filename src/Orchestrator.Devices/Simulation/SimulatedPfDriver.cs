using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Orchestrator.Devices.Contract;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// A PF driver simulated after a <see cref="DriverModel"/>: exact VFIO arc semantics, data streams in a record format
/// modelled on mlx5, per-PF limits, command latencies on an injected <see cref="TimeProvider"/>, and fault hooks.
/// </summary>
/// <remarks>
/// Arcs and the command each one issues (the unit of latency and of <see cref="Faults"/>):
/// <code>
///   RUNNING→RUNNING_P2P, RUNNING_P2P→STOP, RUNNING→STOP, PRE_COPY→PRE_COPY_P2P    Suspend
///   RUNNING_P2P→RUNNING, STOP→RUNNING_P2P, STOP→RUNNING, PRE_COPY_P2P→PRE_COPY    Resume
///   RUNNING(_P2P)→PRE_COPY(_P2P), STOP→STOP_COPY                                   Save (opens a saving stream)
///   PRE_COPY(_P2P)→STOP_COPY                                                       Save (suspend + final save, same stream)
///   STOP_COPY→STOP, PRE_COPY(_P2P)→RUNNING(_P2P)                                   EndSave (stream dies)
///   STOP→RESUMING                                                                  PrepareLoad (opens a resuming stream)
///   RESUMING→STOP                                                                  Load (validates; stream closes)
/// </code>
/// Refusals that the kernel or the driver make before touching the device leave the state unchanged: EINVAL for an
/// arc outside the flag set or any SET in ERROR, ENOTTY for a VF without migration ops (kernel kind or a
/// non-migratable profile: the MIG_DEVICE_STATE feature has no <c>mig_ops</c>), EBUSY when the PF's migration
/// sessions are all taken. A device command that fails (an injected errno, a suspend timeout, a load that does not
/// validate) leaves the VF in ERROR with its stream dead. A migration session is a VF in PRE_COPY, PRE_COPY_P2P,
/// STOP_COPY or RESUMING. Reset keeps the simulated state contents (only streams and the FSM state are reset), so a
/// rolled-back source still holds its workload's state.
/// Thread-safety: each VF has its own lock, the PF a lock for its VF table and session count (taken after a VF's,
/// never before); data-stream reads and writes may run on any thread while commands go to other VFs.
/// </remarks>
public sealed partial class SimulatedPfDriver : IPfDriver
{
    private readonly SimulatedPfConfig _config;
    private readonly object _gate = new();
    private readonly SimVf?[] _vfs;
    private int _vfCount;
    private int _sessions;
    private int _reserved;

    /// <summary>Creates a PF. Throws <see cref="ArgumentException"/> for a flag set or profile the model does not have.</summary>
    public SimulatedPfDriver(DriverModel model, SimulatedPfConfig config, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        Model = model;
        _config = config;
        TimeProvider = timeProvider ?? HighResolutionTimeProvider.Instance;
        var flags = config.Flags ?? model.Flags;
        if (!VfioFsm.IsDefinedFlagSet(flags) || (flags & ~model.Flags) != 0)
        {
            throw new ArgumentException($"flags {flags.Name()} are not a defined subset of {model.Name}'s {model.Flags.Name()}", nameof(config));
        }

        var profiles = config.Profiles ?? [.. model.Profiles.Select(p => p.Id)];
        foreach (var p in profiles)
        {
            if (model.FindProfile(p) is null)
            {
                throw new ArgumentException($"profile '{p}' is not known to driver {model.Name}", nameof(config));
            }
        }

        var maxVfs = config.MaxVfs ?? model.DefaultMaxVfs;
        var maxMigrations = config.MaxConcurrentMigrations ?? model.DefaultMaxConcurrentMigrations;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVfs, 1, nameof(config));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMigrations, 1, nameof(config));
        ArgumentOutOfRangeException.ThrowIfNegative(config.LatencyScale, nameof(config));
        Descriptor = new PfDescriptor(config.Address, model.Name, config.DeviceType, config.Firmware, flags, maxVfs, maxMigrations, profiles);
        _vfs = new SimVf?[maxVfs];
        Faults = new SimulatedFaults(this);
    }

    /// <inheritdoc />
    public PfDescriptor Descriptor { get; }

    /// <summary>The configuration this PF was built with.</summary>
    public SimulatedPfConfig Config => _config;

    /// <summary>The driver model this PF follows.</summary>
    public DriverModel Model { get; }

    /// <summary>The clock of latencies and of the workload's dirtying.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Fault hooks.</summary>
    public SimulatedFaults Faults { get; }

    /// <summary>Migration sessions open now (VFs in a saving state or RESUMING).</summary>
    public int ActiveMigrations
    {
        get
        {
            lock (_gate)
            {
                return _sessions;
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<VfDescriptor> ListVfs()
    {
        var list = new List<VfDescriptor>();
        foreach (var vf in Snapshot())
        {
            lock (vf.Gate)
            {
                list.Add(new VfDescriptor(vf.Index, vf.Kind, vf.Profile.Id, vf.State));
            }
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<VfDescriptor> CreateVfAsync(VfKind kind, ProfileId profile, int? index = null, CancellationToken cancellationToken = default)
    {
        var model = CheckCreate(kind, profile, index);
        await ExecuteAsync(DeviceCommand.CreateVf, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        var vf = Insert(kind, model, index, null);
        Persist();
        return new VfDescriptor(vf.Index, vf.Kind, vf.Profile.Id, vf.State);
    }

    /// <summary>
    /// Adds a VF that already exists when the PF is found (a topology's pre-created VFs): no command, no latency.
    /// </summary>
    /// <param name="kind">Kind.</param>
    /// <param name="profile">One of the PF's profiles.</param>
    /// <param name="index">Its index, or null for the lowest free.</param>
    /// <param name="dirtyBytesPerSecond">The workload's rate of change; the profile's default when null.</param>
    /// <exception cref="VfioException">As <see cref="CreateVfAsync"/>.</exception>
    public VfDescriptor AddExistingVf(VfKind kind, ProfileId profile, int? index = null, long? dirtyBytesPerSecond = null)
    {
        var model = CheckCreate(kind, profile, index);
        var vf = Insert(kind, model, index, dirtyBytesPerSecond);
        return new VfDescriptor(vf.Index, vf.Kind, vf.Profile.Id, vf.State);
    }

    /// <inheritdoc />
    public async Task DestroyVfAsync(int vfIndex, CancellationToken cancellationToken = default)
    {
        if (Find(vfIndex) is null)
        {
            return;
        }

        await ExecuteAsync(DeviceCommand.DestroyVf, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        var vf = Find(vfIndex);
        if (vf is null)
        {
            return;
        }

        lock (vf.Gate)
        {
            KillStreams(vf);
            Transition(vf, S.Error);
            lock (_gate)
            {
                _vfs[vfIndex] = null;
                _vfCount--;
            }
        }

        Persist();
    }

    /// <inheritdoc />
    public S GetDeviceState(int vfIndex)
    {
        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            return vf.State;
        }
    }

    /// <inheritdoc />
    public async Task<IVfioDataStream?> SetDeviceStateAsync(int vfIndex, S next, CancellationToken cancellationToken = default)
    {
        var vf = Get(vfIndex);
        S from;
        DeviceCommand command;
        bool reserve, preloaded;
        lock (vf.Gate)
        {
            if (!vf.Migratable)
            {
                throw new VfioException(VfioErrno.ENOTTY, $"{Name(vfIndex)} has no migration support (kind {vf.Kind}, profile {vf.Profile.Id})");
            }

            from = vf.State;
            if (from == S.Error)
            {
                throw new VfioException(VfioErrno.EINVAL, $"{Name(vfIndex)} is in ERROR; only a reset leaves it (asked {next.Name()})");
            }

            if (!VfioFsm.IsDirectArc(Descriptor.MigrationFlags, from, next))
            {
                throw new VfioException(VfioErrno.EINVAL, $"{Name(vfIndex)}: {from.Name()}->{next.Name()} is not a direct arc for {Descriptor.MigrationFlags.Name()}");
            }

            if (vf.Busy)
            {
                throw new VfioException(VfioErrno.EBUSY, $"{Name(vfIndex)}: another state command is in flight");
            }

            command = Classify(from, next);
            preloaded = command == DeviceCommand.Load && vf.Resuming is { InitialImageLoaded: true };
            reserve = !InSession(from) && InSession(next);
            if (reserve)
            {
                lock (_gate)
                {
                    if (_sessions + _reserved >= Descriptor.MaxConcurrentMigrations)
                    {
                        throw new VfioException(VfioErrno.EBUSY, $"{Name(vfIndex)}: PF has {_sessions} of {Descriptor.MaxConcurrentMigrations} migration sessions open");
                    }

                    _reserved++;
                }
            }

            vf.Busy = true;
        }

        try
        {
            // A save from a saving state suspends first; a load after the first image was loaded while RESUMING
            // loads only what came after it.
            var extra = command == DeviceCommand.Save && IsSaving(from) ? Model.Latencies.Suspend
                : preloaded ? Model.Latencies.LoadAfterInitialImage - Model.Latencies.Load
                : TimeSpan.Zero;
            try
            {
                await ExecuteAsync(command, extra, cancellationToken).ConfigureAwait(false);
            }
            catch (VfioException e)
            {
                lock (vf.Gate)
                {
                    vf.Busy = false;
                    vf.Advance();
                    KillStreams(vf);
                    Transition(vf, S.Error);
                }

                throw new VfioException(e.Errno, $"{Name(vfIndex)}: {from.Name()}->{next.Name()} ({command}) failed, VF is in ERROR: {ErrnoText.Detail(e)}");
            }
            catch (OperationCanceledException)
            {
                lock (vf.Gate)
                {
                    vf.Busy = false;
                }

                throw;
            }

            lock (vf.Gate)
            {
                vf.Busy = false;
                if (!ReferenceEquals(Find(vfIndex), vf))
                {
                    throw new VfioException(VfioErrno.ENOENT, $"{Name(vfIndex)} was destroyed during {command}");
                }

                if (vf.State != from)
                {
                    throw new VfioException(VfioErrno.EIO, $"{Name(vfIndex)}: state changed to {vf.State.Name()} during {command} (reset or failure)");
                }

                vf.Advance();
                return ApplyArc(vf, from, next);
            }
        }
        finally
        {
            if (reserve)
            {
                lock (_gate)
                {
                    _reserved--;
                }
            }

            Persist();
        }
    }

    /// <inheritdoc />
    public long GetStopCopySize(int vfIndex)
    {
        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            if (!vf.Migratable)
            {
                throw new VfioException(VfioErrno.ENOTTY, $"{Name(vfIndex)} has no migration support");
            }

            vf.Advance();
            return vf.Saving?.RemainingEstimate()
                ?? SaveSession.FullImageBytes(vf, BuildHeader(vf).Length) + StateStreamFormat.EndRecordBytes;
        }
    }

    /// <inheritdoc />
    public CompatibilityData GetCompatibilityData(int vfIndex)
    {
        var vf = Get(vfIndex);
        return Compatibility(vf);
    }

    /// <inheritdoc />
    public async Task ResetAsync(int vfIndex, CancellationToken cancellationToken = default)
    {
        Get(vfIndex);
        try
        {
            await ExecuteAsync(DeviceCommand.Reset, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (VfioException e)
        {
            throw new VfioException(e.Errno, $"{Name(vfIndex)}: reset failed: {ErrnoText.Detail(e)}");
        }

        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            vf.Advance();
            KillStreams(vf);
            Transition(vf, S.Running);
        }

        Persist();
    }

    /// <summary>What a VF holds now: state digest, last saved and loaded streams, workload rate.</summary>
    /// <exception cref="VfioException">ENOENT for a missing VF.</exception>
    public SimulatedVfInfo GetVfInfo(int vfIndex)
    {
        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            vf.Advance();
            return new SimulatedVfInfo(
                vf.Index, vf.Kind, vf.Profile.Id, vf.State, vf.Migratable, vf.StateBytes, vf.StateDigest(),
                vf.DirtyBytesPerSecond, vf.LastSaved, vf.LastLoaded);
        }
    }

    /// <summary>Sets how fast the VF's workload changes its state while it runs (0 = idle).</summary>
    public void SetDirtyRate(int vfIndex, long bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            vf.Advance();
            vf.DirtyBytesPerSecond = bytesPerSecond;
        }
    }

    internal void DropToError(int vfIndex)
    {
        var vf = Get(vfIndex);
        lock (vf.Gate)
        {
            vf.Advance();
            KillStreams(vf);
            Transition(vf, S.Error);
        }

        Persist();
    }

    private static bool InSession(S state) => VfioFsm.IsSavingState(state) || state == S.Resuming;

    private static bool IsSaving(S state) => VfioFsm.IsSavingState(state);

    private static DeviceCommand Classify(S from, S to) => (from, to) switch
    {
        (S.Stop, S.Resuming) => DeviceCommand.PrepareLoad,
        (S.Resuming, S.Stop) => DeviceCommand.Load,
        (_, S.StopCopy) => DeviceCommand.Save,
        (S.Running or S.RunningP2P, S.PreCopy or S.PreCopyP2P) => DeviceCommand.Save,
        (S.StopCopy, _) => DeviceCommand.EndSave,
        (S.PreCopy or S.PreCopyP2P, S.Running or S.RunningP2P) => DeviceCommand.EndSave,
        (S.Running, S.RunningP2P or S.Stop) or (S.RunningP2P, S.Stop) or (S.PreCopy, S.PreCopyP2P) => DeviceCommand.Suspend,
        _ => DeviceCommand.Resume,
    };

    private SimDataStream? ApplyArc(SimVf vf, S from, S next)
    {
        switch (from, next)
        {
            case (S.Resuming, S.Stop):
                Load(vf);
                return null;
            case (S.Stop, S.Resuming):
                Transition(vf, S.Resuming);
                vf.Resuming = new ResumeSession(h => CheckHeader(vf, h));
                return new SimDataStream(this, vf, vf.Resuming);
            case (S.Stop, S.StopCopy):
            case (S.Running or S.RunningP2P, S.PreCopy or S.PreCopyP2P):
                Transition(vf, next);
                vf.Saving = new SaveSession(vf, Model.PreCopyTracking, BuildHeader(vf), stopCopy: next == S.StopCopy);
                return new SimDataStream(this, vf, vf.Saving);
            case (S.PreCopy or S.PreCopyP2P, S.StopCopy):
                vf.Saving!.EnterStopCopy();
                Transition(vf, next);
                return null;
            default:
                if (IsSaving(from) && !IsSaving(next))
                {
                    KillStreams(vf);
                }

                Transition(vf, next);
                return null;
        }
    }

    private void Load(SimVf vf)
    {
        var session = vf.Resuming;
        uint[]? versions = null;
        var reason = session is null ? "no resuming stream" : session.Finish(out versions);
        if (reason is null && Model.FirmwareCheck == FirmwareCheck.OnRestore)
        {
            // pds RESTORE / virtio DEV_PARTS_SET: the device checks the image only when it restores it.
            var s = session!.Header!.Compatibility;
            var mine = Compatibility(vf);
            reason = s.Firmware != mine.Firmware
                ? $"device rejected the restore: firmware mismatch: stream '{s.Firmware}', target '{mine.Firmware}'"
                : MatchBlock.Compare(Model.MatchRule, s.MatchData, mine.MatchData) is { } m ? "device rejected the restore: " + m : null;
        }

        if (reason is not null)
        {
            KillStreams(vf);
            Transition(vf, S.Error);
            throw new VfioException(VfioErrno.EINVAL, $"{Name(vf.Index)}: RESUMING->STOP failed, VF is in ERROR: {reason}");
        }

        vf.ContentSeed = session!.Header!.ContentSeed;
        vf.Versions = versions!;
        vf.LastLoaded = session.Summary(vf.StateDigest());
        vf.Resuming = null;
        Transition(vf, S.Stop);
    }

    private string? CheckHeader(SimVf vf, StreamHeader header)
    {
        var s = header.Compatibility;
        var mine = Compatibility(vf);
        var reason =
            s.Driver != mine.Driver ? $"driver mismatch: stream '{s.Driver}', target '{mine.Driver}'"
            : s.DeviceType != mine.DeviceType ? $"device type mismatch: stream '{s.DeviceType}', target '{mine.DeviceType}'"
            : s.Kind != mine.Kind ? $"kind mismatch: stream '{s.Kind}', target '{mine.Kind}'"
            : s.Profile != mine.Profile ? $"profile mismatch: stream '{s.Profile}', target '{mine.Profile}'"
            : Model.FirmwareCheck == FirmwareCheck.OnHeader && s.Firmware != mine.Firmware
                ? $"firmware mismatch: stream '{s.Firmware}', target '{mine.Firmware}'"
            : header.StateBytes != vf.StateBytes || header.PageSize != StateStreamFormat.PageSize
                ? $"state layout mismatch: stream {header.StateBytes} B in {header.PageSize} B pages, target {vf.StateBytes} B"
            : Model.FirmwareCheck != FirmwareCheck.OnRestore ? MatchBlock.Compare(Model.MatchRule, s.MatchData, mine.MatchData)
            : null;
        return reason is null ? null : $"incompatible state: {reason}";
    }

    private CompatibilityData Compatibility(SimVf vf) => new(
        Model.Name, Descriptor.DeviceType, Descriptor.Firmware, vf.Profile.Id, vf.Kind,
        MatchBlock.Build(Model.MatchRule, _config, vf.Profile, vf.Index));

    /// <summary>
    /// The head of a saving stream: the HEADER record, then an optional STOP_COPY_SIZE record (like mlx5's tag 1, so a
    /// target could pre-allocate) that every target skips, which keeps the optional-record path exercised.
    /// </summary>
    private byte[] BuildHeader(SimVf vf)
    {
        var header = StateStreamFormat.BuildHeader(new StreamHeader(StateStreamFormat.PageSize, vf.StateBytes, vf.ContentSeed, Compatibility(vf)));
        var head = new byte[header.Length + StateStreamFormat.StopCopySizeRecordBytes];
        header.CopyTo(head, 0);
        var size = head.AsSpan(header.Length);
        StateStreamFormat.WriteRecordHeader(size, 8, StateStreamFormat.FlagOptional, StateStreamFormat.TagStopCopySize);
        BinaryPrimitives.WriteInt64LittleEndian(size[StateStreamFormat.RecordHeaderBytes..], SaveSession.FullImageBytes(vf, head.Length) + StateStreamFormat.EndRecordBytes);
        return head;
    }

    private void Transition(SimVf vf, S state)
    {
        var delta = (InSession(state) ? 1 : 0) - (InSession(vf.State) ? 1 : 0);
        vf.State = state;
        if (delta != 0)
        {
            lock (_gate)
            {
                _sessions += delta;
            }
        }
    }

    private static void KillStreams(SimVf vf)
    {
        vf.Saving = null;
        vf.Resuming = null;
    }

    private async Task ExecuteAsync(DeviceCommand command, TimeSpan extra, CancellationToken cancellationToken)
    {
        var (fail, injected, hang) = Faults.OnCommand(command);
        var latency = (Model.Latencies.Of(command) + extra) * _config.LatencyScale + injected;
        if (command == DeviceCommand.Suspend && Model.Latencies.SuspendPollInterval is { Ticks: > 0 } poll && latency > TimeSpan.Zero)
        {
            latency = poll * Math.Ceiling(latency / poll);
        }

        if (command == DeviceCommand.Suspend && Model.Latencies.SuspendTimeout is { } timeout && latency > timeout)
        {
            await DelayAsync(timeout, cancellationToken).ConfigureAwait(false);
            throw new VfioException(VfioErrno.ETIMEDOUT, $"suspend not complete after {timeout.TotalSeconds:0.###} s of status polling");
        }

        await DelayAsync(latency, cancellationToken).ConfigureAwait(false);
        if (hang is not null)
        {
            await hang.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (fail is { } errno)
        {
            throw new VfioException(errno, $"injected failure of {command}");
        }
    }

    /// <summary>The first whole image written to a resuming VF is loaded (<see cref="CommandLatencies.InitialLoad"/>).</summary>
    internal Task LoadInitialImageAsync(CancellationToken cancellationToken) =>
        DelayAsync(Model.Latencies.InitialLoad * _config.LatencyScale, cancellationToken);

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return delay > TimeSpan.Zero ? Task.Delay(delay, TimeProvider, cancellationToken) : Task.CompletedTask;
    }

    private ProfileModel CheckCreate(VfKind kind, ProfileId profile, int? index)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new VfioException(VfioErrno.EINVAL, $"PF {Descriptor.Address}: unknown VF kind {kind}");
        }

        if (!Descriptor.Profiles.Contains(profile) || Model.FindProfile(profile) is not { } model)
        {
            throw new VfioException(VfioErrno.EINVAL, $"PF {Descriptor.Address}: profile '{profile}' is not offered (offers {string.Join(", ", Descriptor.Profiles)})");
        }

        lock (_gate)
        {
            FreeSlot(index);
        }

        return model;
    }

    private int FreeSlot(int? index)
    {
        if (index is { } i)
        {
            if (i < 0 || i >= _vfs.Length)
            {
                throw new VfioException(VfioErrno.EINVAL, $"PF {Descriptor.Address}: VF index {i} outside 0..{_vfs.Length - 1}");
            }

            if (_vfs[i] is not null)
            {
                throw new VfioException(VfioErrno.EBUSY, $"PF {Descriptor.Address}: VF index {i} is taken");
            }

            return i;
        }

        var free = Array.IndexOf(_vfs, null);
        return free >= 0
            ? free
            : throw new VfioException(VfioErrno.EBUSY, $"PF {Descriptor.Address}: all {_vfs.Length} VF slots are taken");
    }

    private SimVf Insert(VfKind kind, ProfileModel profile, int? index, long? dirtyRate)
    {
        lock (_gate)
        {
            var slot = FreeSlot(index);
            var vf = new SimVf(slot, kind, profile, profile.Migratable && kind == VfKind.Vfio, ContentSeed(slot), TimeProvider);
            if (dirtyRate is { } rate)
            {
                vf.DirtyBytesPerSecond = rate;
            }

            _vfs[slot] = vf;
            _vfCount++;
            return vf;
        }
    }

    private ulong ContentSeed(int index)
    {
        // Deterministic from (seed, PF address, VF index): the same topology and seed give the same bytes.
        var address = Encoding.UTF8.GetBytes(Descriptor.Address);
        var buffer = new byte[address.Length + 12];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, _config.Seed);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), index);
        address.CopyTo(buffer, 12);
        return XxHash64.HashToUInt64(buffer);
    }

    private SimVf? Find(int vfIndex)
    {
        lock (_gate)
        {
            return vfIndex >= 0 && vfIndex < _vfs.Length ? _vfs[vfIndex] : null;
        }
    }

    private SimVf Get(int vfIndex) =>
        Find(vfIndex) ?? throw new VfioException(VfioErrno.ENOENT, $"{Name(vfIndex)} does not exist");

    private List<SimVf> Snapshot()
    {
        lock (_gate)
        {
            return [.. _vfs.OfType<SimVf>()];
        }
    }

    private string Name(int vfIndex) => $"VF {vfIndex} on {Descriptor.Address}";
}
