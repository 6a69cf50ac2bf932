using System.IO.Hashing;
using System.Text;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Topology;

/// <summary>Builds the simulated PF drivers of one host of a topology, with its pre-created VFs, so a node can host them.</summary>
public static class TopologyDriverFactory
{
    /// <summary>The drivers of <paramref name="hostId"/>, in file order.</summary>
    /// <exception cref="ArgumentException">No such host.</exception>
    public static IReadOnlyList<SimulatedPfDriver> CreateHost(Topology topology, string hostId, TopologySimulationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        options ??= new TopologySimulationOptions();
        var host = topology.FindHost(hostId) ?? throw new ArgumentException($"host '{hostId}' is not in {topology.SourceFile}", nameof(hostId));
        // Each host gets its own seed so the same PF address on two hosts holds different state.
        var hostSeed = options.Seed ^ XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(host.Id));
        var drivers = new List<SimulatedPfDriver>(host.Pfs.Count);
        foreach (var pf in host.Pfs)
        {
            DriverModels.TryGet(pf.Driver, out var model);
            var driver = new SimulatedPfDriver(model, new SimulatedPfConfig(pf.Address, pf.DeviceType, pf.Firmware)
            {
                MaxVfs = pf.MaxVfs,
                MaxConcurrentMigrations = pf.MaxConcurrentMigrations,
                Flags = pf.Flags,
                Profiles = pf.Profiles,
                BoardId = pf.BoardId,
                Seed = hostSeed,
                LatencyScale = options.LatencyScale,
            }, options.TimeProvider);
            var stateFile = options.StateDirectory is { } directory ? StateFile(directory, host.Id, pf.Address) : null;
            if (stateFile is not null && SimulatedPfDriver.ReadState(stateFile) is { } saved)
            {
                driver.RestoreState(saved);
            }
            else
            {
                foreach (var vf in pf.Vfs)
                {
                    var rate = vf.Workload is { } w ? topology.FindWorkload(w)?.DirtyBytesPerSecond : null;
                    driver.AddExistingVf(vf.Kind, vf.Profile, vf.Index, rate);
                }
            }

            if (stateFile is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(stateFile)!);
                driver.StatePath = stateFile;
                driver.SaveState();
            }

            drivers.Add(driver);
        }

        return drivers;
    }

    /// <summary>The state file of PF <paramref name="address"/> of <paramref name="hostId"/> in <paramref name="directory"/>.</summary>
    public static string StateFile(string directory, string hostId, string address) =>
        Path.Combine(directory, $"{hostId}_{address.Replace(':', '-')}.json");
}
