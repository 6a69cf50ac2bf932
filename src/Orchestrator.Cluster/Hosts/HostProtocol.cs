using Akka.Actor;
using Orchestrator.Domain.Compatibility;

namespace Orchestrator.Cluster.Hosts;

/// <summary>Messages of a host actor.</summary>
public static class HostProtocol
{
    /// <summary>Stop placing migrations onto this host.</summary>
    public sealed record Cordon(string? Reason) : IOrchestratorMessage;

    /// <summary>Allow migrations onto this host again.</summary>
    public sealed record Uncordon : IOrchestratorMessage
    {
        public static Uncordon Instance { get; } = new();
    }

    /// <summary>The host's cordon flag now.</summary>
    public sealed record CordonState(HostId Host, bool Cordoned) : IOrchestratorMessage;

    /// <summary>Ask for the host's directory entry as it is now (not the replicated copy).</summary>
    public sealed record GetHostEntry : IOrchestratorMessage
    {
        public static GetHostEntry Instance { get; } = new();
    }
}

/// <summary>
/// One host as the cluster sees it: the placement facts plus where its actors are. Replicated to every node
/// (Akka.DistributedData) so that placement and the API read it locally.
/// </summary>
public sealed record HostEntry(
    HostInventory Inventory,
    IActorRef Host,
    IReadOnlyDictionary<PfId, IActorRef> Pfs,
    IReadOnlyDictionary<VfId, MigrationId> VfMigrations,
    int QueuedMigrations,
    DateTimeOffset UpdatedAt) : IOrchestratorMessage;
