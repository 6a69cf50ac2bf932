using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// One simulated VF. Its device state is metadata only: a version per 64 KiB page (a single short page below
/// 64 KiB); the bytes are generated when read. Guarded by <see cref="Gate"/>: the PF actor's commands and a data
/// stream's reads or writes on another thread meet here.
/// </summary>
internal sealed class SimVf
{
    private readonly TimeProvider _time;
    private long _lastTimestamp;
    private double _carryBytes;
    private ulong _prng;

    public SimVf(int index, VfKind kind, ProfileModel profile, bool migratable, ulong contentSeed, TimeProvider time)
    {
        Index = index;
        Kind = kind;
        Profile = profile;
        Migratable = migratable;
        ContentSeed = contentSeed;
        _time = time;
        _prng = PageContent.Mix(contentSeed ^ 0x5DEECE66DUL);
        StateBytes = profile.StateBytes;
        PageCount = (int)((StateBytes + StateStreamFormat.PageSize - 1) / StateStreamFormat.PageSize);
        Versions = new uint[PageCount];
        DirtyBytesPerSecond = profile.DefaultDirtyBytesPerSecond;
        _lastTimestamp = time.GetTimestamp();
    }

    public object Gate { get; } = new();

    public int Index { get; }

    public VfKind Kind { get; }

    public ProfileModel Profile { get; }

    public bool Migratable { get; }

    public VfioDeviceState State { get; set; } = VfioDeviceState.Running;

    /// <summary>True while a state command for this VF is in flight (the PF serializes them; this catches misuse).</summary>
    public bool Busy { get; set; }

    public ulong ContentSeed { get; set; }

    public long StateBytes { get; }

    public int PageCount { get; }

    public uint[] Versions { get; set; }

    public long DirtyBytesPerSecond { get; set; }

    public SaveSession? Saving { get; set; }

    public ResumeSession? Resuming { get; set; }

    public StreamSummary? LastSaved { get; set; }

    public StreamSummary? LastLoaded { get; set; }

    public int PageLength(int page) =>
        page < PageCount - 1 ? StateStreamFormat.PageSize : (int)(StateBytes - ((long)(PageCount - 1) * StateStreamFormat.PageSize));

    /// <summary>RUNNING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P: the device runs (P2P only stops initiating P2P DMA).</summary>
    public static bool IsRunning(VfioDeviceState state) =>
        state is VfioDeviceState.Running or VfioDeviceState.RunningP2P or VfioDeviceState.PreCopy or VfioDeviceState.PreCopyP2P;

    /// <summary>
    /// Applies the workload's changes since the last call: rate × elapsed bytes, whole pages, chosen by the VF's seeded
    /// PRNG, only while the device runs. Called under <see cref="Gate"/> before anything reads or changes the state.
    /// </summary>
    public void Advance()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastTimestamp, now);
        _lastTimestamp = now;
        if (!IsRunning(State) || DirtyBytesPerSecond <= 0 || elapsed <= TimeSpan.Zero || !Migratable)
        {
            return;
        }

        var unit = (double)Math.Min(StateBytes, StateStreamFormat.PageSize);
        var bytes = (DirtyBytesPerSecond * elapsed.TotalSeconds) + _carryBytes;
        var pages = (long)(bytes / unit);
        _carryBytes = bytes - (pages * unit);
        // Beyond a few passes over the state more dirtying changes nothing a reader can tell; bound the work.
        var cap = (long)PageCount * 4;
        if (pages > cap)
        {
            pages = cap;
            _carryBytes = 0;
        }

        for (long i = 0; i < pages; i++)
        {
            _prng += 0x9E3779B97F4A7C15UL;
            var page = (int)(PageContent.Mix(_prng) % (ulong)PageCount);
            Versions[page]++;
            Saving?.OnPageDirtied(page);
        }
    }

    /// <summary>Restarts the lazy clock without dirtying (after the rate changes).</summary>
    public void ResetClock() => _lastTimestamp = _time.GetTimestamp();

    public UInt128 StateDigest() => Digest(ContentSeed, StateBytes, Versions);

    public static UInt128 Digest(ulong contentSeed, long stateBytes, uint[] versions)
    {
        var hash = new XxHash128();
        Span<byte> head = stackalloc byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(head, contentSeed);
        BinaryPrimitives.WriteInt64LittleEndian(head[8..], stateBytes);
        BinaryPrimitives.WriteInt64LittleEndian(head[16..], StateStreamFormat.PageSize);
        hash.Append(head);
        hash.Append(MemoryMarshal.AsBytes(versions.AsSpan()));
        return hash.GetCurrentHashAsUInt128();
    }
}
