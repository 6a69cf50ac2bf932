using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Compatibility;

/// <summary>A host as the inventory last saw it.</summary>
/// <param name="Id">The host.</param>
/// <param name="NodeName">The cluster node (process) that runs its host actor.</param>
/// <param name="Cordoned">A cordoned host takes no new migrations as a target.</param>
/// <param name="Pfs">Its PFs.</param>
public sealed record HostInventory(HostId Id, string NodeName, bool Cordoned, IReadOnlyList<PfInventory> Pfs);
