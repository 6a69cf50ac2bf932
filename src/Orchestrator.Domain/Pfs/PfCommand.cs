using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Pfs;

/// <summary>
/// What the <see cref="PfLedger{TReply}"/> needs to know of one migration command sent to a PF: the PF actor builds it
/// from the command it received (the domain does not know the actor protocol).
/// </summary>
/// <param name="Migration">The migration.</param>
/// <param name="Epoch">The incarnation of its coordinator that sent the command.</param>
/// <param name="Step">The step's name: a retry of the same step and epoch is answered from the cached reply.</param>
/// <param name="Side">The side of the migration this PF plays for the step.</param>
/// <param name="Indices">The VF indices on this PF the step names (held by the migration from now on).</param>
/// <param name="ClaimMode">What happens when another migration holds one of them.</param>
/// <param name="Slots">Migration slots the step needs (one per VF whose device session it opens), 0 for none.</param>
public sealed record PfCommand(
    MigrationId Migration,
    Epoch Epoch,
    PfStep Step,
    PfSide Side,
    IReadOnlyList<int> Indices,
    PfClaimMode ClaimMode = PfClaimMode.IfFree,
    int Slots = 0);
