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

    /// <summary>
    /// Why <see cref="PfRef"/> found no <paramref name="pf"/>: the host is absent, or which PFs its entry lists (a
    /// caller then tells a mistyped address from a host this node has not heard of).
    /// </summary>
    public string NoPf(PfId pf) =>
        Hosts.TryGetValue(pf.Host, out var host)
            ? $"PF '{pf}' is not in the inventory (host '{pf.Host}' has {(host.Pfs.Count == 0 ? "no PF" : string.Join(", ", host.Pfs.Keys.Order().Select(p => p.Address)))})"
            : $"PF '{pf}' is not in the inventory (no host '{pf.Host}' among {Hosts.Count})";

    public IActorRef? HostRef(HostId host) => Hosts.TryGetValue(host, out var h) ? h.Host : null;
}
