using Orchestrator.Client;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Chaos.Harness;

/// <summary>
/// The simulated PFs of a node by id (<c>host/address</c>), for the chaos fault API that a <see cref="FaultNode"/>
/// serves: injects a device fault into a PF and heals it (hung commands are released, pending faults cleared).
/// </summary>
public sealed class ChaosFaults
{
    private readonly Dictionary<string, SimulatedPfDriver> _pfs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<HungCommand>> _hung = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>The PF ids this node can fault.</summary>
    public IReadOnlyList<string> Pfs
    {
        get
        {
            lock (_gate)
            {
                return [.. _pfs.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Adds the node's simulated PFs, each under its host.</summary>
    public void Register(IEnumerable<(string Host, SimulatedPfDriver Driver)> drivers)
    {
        lock (_gate)
        {
            foreach (var (host, driver) in drivers)
            {
                _pfs[$"{host}/{driver.Descriptor.Address}"] = driver;
            }
        }
    }

    /// <summary>Applies <paramref name="fault"/>; returns null when done, else what is wrong (naming the value).</summary>
    public string? Apply(DeviceFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        SimulatedPfDriver? driver;
        lock (_gate)
        {
            _pfs.TryGetValue(fault.Pf ?? string.Empty, out driver);
        }

        if (driver is null)
        {
            return $"pf: '{fault.Pf}' is not a simulated PF of this node (it has {string.Join(", ", Pfs)})";
        }

        DeviceCommand? command = null;
        if (fault.Command is { Length: > 0 } name)
        {
            if (!Enum.TryParse<DeviceCommand>(name, ignoreCase: true, out var parsed))
            {
                return $"command: '{name}' is not a device command ({string.Join(", ", Enum.GetNames<DeviceCommand>())})";
            }

            command = parsed;
        }

        var nth = fault.Nth ?? 1;
        if (nth < 1)
        {
            return $"nth: '{nth}' must be at least 1";
        }

        switch (fault.Kind)
        {
            case DeviceFault.Fail:
                driver.Faults.FailCommand(command, nth, VfioErrno.EIO);
                return null;
            case DeviceFault.Hang:
                var hung = driver.Faults.HangCommand(command, nth);
                lock (_gate)
                {
                    (_hung.TryGetValue(fault.Pf!, out var list) ? list : _hung[fault.Pf!] = []).Add(hung);
                }

                return null;
            case DeviceFault.CorruptRead:
                driver.Faults.CorruptRead(nth);
                return null;
            case DeviceFault.CorruptWrite:
                driver.Faults.CorruptWrite(nth);
                return null;
            case DeviceFault.Latency:
                if (command is null || fault.Milliseconds is not (> 0 and <= 600_000))
                {
                    return $"latency needs a command and milliseconds in 1..600000 (got command '{fault.Command}', milliseconds '{fault.Milliseconds}')";
                }

                driver.Faults.AddLatency(command.Value, TimeSpan.FromMilliseconds(fault.Milliseconds.Value));
                return null;
            case DeviceFault.Error:
                var vf = fault.Vf ?? driver.ListVfs().FirstOrDefault(v => v.State != VfioDeviceState.Error)?.Index;
                if (vf is null)
                {
                    return $"pf '{fault.Pf}' has no VF to drop to ERROR";
                }

                try
                {
                    driver.Faults.DropToError(vf.Value);
                }
                catch (VfioException e)
                {
                    return $"vf: '{vf}': {e.Message}";
                }

                return null;
            case DeviceFault.Clear:
                driver.Faults.Clear();
                List<HungCommand>? release;
                lock (_gate)
                {
                    _hung.Remove(fault.Pf!, out release);
                }

                release?.ForEach(h => h.Release());
                return null;
            default:
                return $"kind: '{fault.Kind}' is not a device fault ({string.Join(", ", DeviceFault.Kinds)})";
        }
    }
}
