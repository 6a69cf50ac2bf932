using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Compatibility;

/// <summary>An immutable snapshot of the cluster's hosts, PFs and VFs, as placement reads it.</summary>
/// <param name="Hosts">Every known host.</param>
public sealed record Inventory(IReadOnlyList<HostInventory> Hosts)
{
    /// <summary>An inventory with no hosts.</summary>
    public static Inventory Empty { get; } = new([]);

    /// <summary>The host, or null.</summary>
    public HostInventory? FindHost(HostId id) => Hosts.FirstOrDefault(h => h.Id == id);

    /// <summary>The PF, or null.</summary>
    public PfInventory? FindPf(PfId id) => FindHost(id.Host)?.Pfs.FirstOrDefault(p => p.Id == id);

    /// <summary>The VF, or null.</summary>
    public VfInventory? FindVf(VfId id) => FindPf(id.Pf)?.Vfs.FirstOrDefault(v => v.Id == id);

    /// <summary>The VFs held by <paramref name="workload"/>, in id order.</summary>
    public IReadOnlyList<VfInventory> VfsOf(WorkloadId workload) =>
        [.. Hosts.SelectMany(h => h.Pfs).SelectMany(p => p.Vfs).Where(v => v.Workload == workload).OrderBy(v => v.Id)];

    /// <summary>A copy with <paramref name="host"/> added or replaced (same id).</summary>
    public Inventory WithHost(HostInventory host) =>
        new([.. Hosts.Where(h => h.Id != host.Id).Append(host).OrderBy(h => h.Id)]);
}
