using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Domain.Reconciliation;

/// <summary>A migration as the migration index (or its coordinator) says it is.</summary>
/// <param name="Id">The migration.</param>
/// <param name="Workload">The workload it moves.</param>
/// <param name="Phase">Its protocol state.</param>
/// <param name="Epoch">Its epoch (the PF fences anything older).</param>
/// <param name="Vfs">Its source → target VF pairs (empty before placement).</param>
/// <param name="UpdatedAt">When it last changed: the newest claim on a reused VF index wins.</param>
public sealed record KnownMigration(
    MigrationId Id,
    WorkloadId Workload,
    MigrationPhase Phase,
    long Epoch,
    IReadOnlyList<(VfId Source, VfId Target)> Vfs,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Completed, RolledBack or Failed: nothing it holds is in use by it any more.</summary>
    public bool HasEnded => MigrationProtocol.IsTerminal(Phase);
}
