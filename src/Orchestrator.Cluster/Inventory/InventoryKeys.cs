using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;

namespace Orchestrator.Cluster.Inventory;

/// <summary>Keys of the replicated directory.</summary>
public static class InventoryKeys
{
    /// <summary>Every host's snapshot, by host id.</summary>
    public static LWWDictionaryKey<string, HostSnapshot> Hosts { get; } = new("orchestrator-hosts");
}
