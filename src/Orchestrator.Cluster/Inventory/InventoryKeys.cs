using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;

namespace Orchestrator.Cluster.Inventory;

/// <summary>Keys of the replicated directory.</summary>
public static class InventoryKeys
{
    /// <summary>Every host's directory entry, by host id.</summary>
    public static LWWDictionaryKey<string, HostEntry> Hosts { get; } = new("orchestrator-hosts");
}
