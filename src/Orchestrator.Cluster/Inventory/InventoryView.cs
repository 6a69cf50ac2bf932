using Akka.Actor;
using Orchestrator.Cluster.Hosts;
using DomainInventory = Orchestrator.Domain.Compatibility.Inventory;

namespace Orchestrator.Cluster.Inventory;

/// <summary>The replicated directory as one value: every host's entry, the domain inventory, and actor refs.</summary>
public sealed record InventoryView(IReadOnlyDictionary<HostId, HostEntry> Hosts)
{
    public static InventoryView Empty { get; } = new(new Dictionary<HostId, HostEntry>());

    /// <summary>The placement facts of every host, in host order.</summary>
    public DomainInventory Inventory { get; } = new([.. Hosts.Values.OrderBy(h => h.Inventory.Id).Select(h => h.Inventory)]);

    public IActorRef? PfRef(PfId pf) =>
        Hosts.TryGetValue(pf.Host, out var host) && host.Pfs.TryGetValue(pf, out var actor) ? actor : null;

    public IActorRef? HostRef(HostId host) => Hosts.TryGetValue(host, out var h) ? h.Host : null;
}
