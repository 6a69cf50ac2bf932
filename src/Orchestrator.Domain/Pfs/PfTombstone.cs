using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Pfs;

/// <summary>
/// A migration that has nothing live on a PF any more, remembered until <paramref name="Expires"/> so that its late
/// commands are still fenced (older epochs) or answered from the cache (retries), then forgotten.
/// </summary>
/// <param name="Migration">The migration.</param>
/// <param name="Epoch">The newest epoch of it this PF saw.</param>
/// <param name="Expires">When its epoch, cached replies and this tombstone are pruned.</param>
/// <param name="Cleaned">The host reconciler cleaned its leftovers (it ended for good): every command of it is fenced.</param>
public sealed record PfTombstone(MigrationId Migration, Epoch Epoch, DateTimeOffset Expires, bool Cleaned);
