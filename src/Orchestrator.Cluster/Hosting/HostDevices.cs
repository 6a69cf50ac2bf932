using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Cluster.Hosting;

/// <summary>The devices one host brings to its node: its PF drivers and which workload each pre-existing VF serves.</summary>
public sealed record HostDevices(HostId Host, IReadOnlyList<IPfDriver> Drivers, IReadOnlyDictionary<VfId, WorkloadId> Workloads)
{
    /// <summary>Builds the simulated devices of one host of a topology.</summary>
    public static HostDevices FromTopology(Topology topology, string hostId, TopologySimulationOptions? options = null)
    {
        var host = topology.FindHost(hostId) ?? throw new ArgumentException($"host '{hostId}' is not in topology {topology.SourceFile}");
        var id = HostId.Parse(host.Id);
        var drivers = TopologyDriverFactory.CreateHost(topology, host.Id, options);
        var workloads = new Dictionary<VfId, WorkloadId>();
        foreach (var pf in host.Pfs)
        {
            foreach (var vf in pf.Vfs.Where(v => v.Workload is not null))
            {
                workloads[PfId.Of(id, pf.Address).Vf(vf.Index)] = WorkloadId.Parse(vf.Workload!);
            }
        }

        return new HostDevices(id, drivers, workloads);
    }

    /// <summary>The hosts of a topology that a node runs: those naming it, or every host when none names a node.</summary>
    public static IReadOnlyList<HostDevices> ForNode(Topology topology, string nodeName, TopologySimulationOptions? options = null) =>
        [.. topology.Hosts.Where(h => h.Node is null || h.Node == nodeName).Select(h => FromTopology(topology, h.Id, options))];
}
