using Akka.Actor;
using Orchestrator.Domain.Compatibility;

namespace Orchestrator.Cluster.Pfs;

/// <summary>What a PF actor reports to its host after every change: the placement facts and where to reach it.</summary>
/// <param name="Inventory">The PF as placement sees it (descriptor, VFs, slots in use).</param>
/// <param name="Pf">The PF actor.</param>
/// <param name="QueuedMigrations">Migrations waiting for a migration slot on this PF.</param>
/// <param name="VfMigrations">Which migration owns which VF now.</param>
public sealed record PfReport(
    PfInventory Inventory,
    IActorRef Pf,
    int QueuedMigrations,
    IReadOnlyDictionary<VfId, MigrationId> VfMigrations) : IOrchestratorMessage;
