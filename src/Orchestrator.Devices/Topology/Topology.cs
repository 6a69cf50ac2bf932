namespace Orchestrator.Devices.Topology;

/// <summary>A validated topology file: the simulated hosts, their PFs and pre-created VFs, and the workloads.</summary>
/// <param name="SourceFile">The file it was loaded from (as given to the loader).</param>
/// <param name="Hosts">Hosts in file order.</param>
/// <param name="Workloads">Workloads in file order.</param>
public sealed record Topology(string SourceFile, IReadOnlyList<TopologyHost> Hosts, IReadOnlyList<TopologyWorkload> Workloads)
{
    /// <summary>The host with that id, or null.</summary>
    public TopologyHost? FindHost(string id) => Hosts.FirstOrDefault(h => h.Id == id);

    /// <summary>The workload with that id, or null.</summary>
    public TopologyWorkload? FindWorkload(string id) => Workloads.FirstOrDefault(w => w.Id == id);

    /// <summary>Every VF of a workload with its host and PF, in file order.</summary>
    public IReadOnlyList<(TopologyHost Host, TopologyPf Pf, TopologyVf Vf)> VfsOf(string workloadId) =>
        [.. from h in Hosts from p in h.Pfs from v in p.Vfs where v.Workload == workloadId select (h, p, v)];
}
