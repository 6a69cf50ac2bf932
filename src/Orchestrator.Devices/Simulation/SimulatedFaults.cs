using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// Fault hooks of one <see cref="SimulatedPfDriver"/> (vfio-migration.md §4.2): fail the Nth command with an errno,
/// add latency to a command kind, hang a command, corrupt a data chunk, drop a VF into ERROR. Counting starts when a
/// hook is armed; each hook fires once unless said otherwise. Thread-safe.
/// </summary>
public sealed class SimulatedFaults
{
    private readonly object _gate = new();
    private readonly SimulatedPfDriver _driver;
    private readonly List<Countdown<VfioErrno>> _failures = [];
    private readonly List<Countdown<HungCommand>> _hangs = [];
    private readonly Dictionary<DeviceCommand, TimeSpan> _latency = [];
    private int _corruptReadIn;
    private int _corruptWriteIn;

    internal SimulatedFaults(SimulatedPfDriver driver)
    {
        _driver = driver;
    }

    /// <summary>
    /// The <paramref name="nth"/> command (1 = the next) of <paramref name="command"/>, or of any kind when null, fails
    /// with <paramref name="errno"/> after its latency. A failed state arc leaves the VF in ERROR.
    /// </summary>
    public void FailCommand(DeviceCommand? command, int nth, VfioErrno errno)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        lock (_gate)
        {
            _failures.Add(new Countdown<VfioErrno>(command, nth, errno));
        }
    }

    /// <summary>Every later command of this kind takes <paramref name="extra"/> longer (not scaled), until <see cref="Clear"/>.</summary>
    public void AddLatency(DeviceCommand command, TimeSpan extra)
    {
        lock (_gate)
        {
            _latency[command] = _latency.GetValueOrDefault(command) + extra;
        }
    }

    /// <summary>The <paramref name="nth"/> command of this kind (any when null) hangs until released or cancelled.</summary>
    public HungCommand HangCommand(DeviceCommand? command, int nth = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        var hang = new HungCommand(command);
        lock (_gate)
        {
            _hangs.Add(new Countdown<HungCommand>(command, nth, hang));
        }

        return hang;
    }

    /// <summary>The <paramref name="nthChunk"/>-th read that returns data (from now) comes back with bytes flipped.</summary>
    public void CorruptRead(int nthChunk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nthChunk, 1);
        lock (_gate)
        {
            _corruptReadIn = nthChunk;
        }
    }

    /// <summary>The <paramref name="nthChunk"/>-th write (from now) reaches the device with bytes flipped.</summary>
    public void CorruptWrite(int nthChunk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nthChunk, 1);
        lock (_gate)
        {
            _corruptWriteIn = nthChunk;
        }
    }

    /// <summary>Puts the VF into ERROR now, as a failed asynchronous device operation would; its stream dies.</summary>
    public void DropToError(int vfIndex) => _driver.DropToError(vfIndex);

    /// <summary>Disarms every hook (hung commands already waiting stay hung until released).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _failures.Clear();
            _hangs.Clear();
            _latency.Clear();
            _corruptReadIn = 0;
            _corruptWriteIn = 0;
        }
    }

    internal (VfioErrno? Fail, TimeSpan Extra, HungCommand? Hang) OnCommand(DeviceCommand command)
    {
        lock (_gate)
        {
            var fail = Take(_failures, command, out var errno) ? errno : (VfioErrno?)null;
            var hang = Take(_hangs, command, out var hung) ? hung : null;
            return (fail, _latency.GetValueOrDefault(command), hang);
        }
    }

    internal bool TakeReadCorruption()
    {
        lock (_gate)
        {
            return _corruptReadIn > 0 && --_corruptReadIn == 0;
        }
    }

    internal bool TakeWriteCorruption()
    {
        lock (_gate)
        {
            return _corruptWriteIn > 0 && --_corruptWriteIn == 0;
        }
    }

    /// <summary>Flips the middle byte and the last byte of a chunk.</summary>
    internal static void Flip(Span<byte> chunk)
    {
        if (chunk.Length == 0)
        {
            return;
        }

        chunk[chunk.Length / 2] ^= 0xFF;
        chunk[^1] ^= 0x5A;
    }

    private static bool Take<T>(List<Countdown<T>> list, DeviceCommand command, out T fired)
    {
        fired = default!;
        var any = false;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            var c = list[i];
            if (c.Command is { } kind && kind != command)
            {
                continue;
            }

            if (--c.Remaining == 0)
            {
                fired = c.Value;
                any = true;
                list.RemoveAt(i);
            }
        }

        return any;
    }

    private sealed class Countdown<T>(DeviceCommand? command, int remaining, T value)
    {
        public DeviceCommand? Command { get; } = command;

        public int Remaining { get; set; } = remaining;

        public T Value { get; } = value;
    }
}
