using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Pfs;

/// <summary>The migration that holds a VF index on a PF, and as which side.</summary>
/// <param name="Migration">The migration.</param>
/// <param name="Side">Source or target.</param>
public sealed record PfOwner(MigrationId Migration, PfSide Side);
