using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Reconciliation;

/// <summary>Something a migration holds that is not a VF: a PF migration slot or queue entry, or placement reservations.</summary>
/// <param name="Migration">The migration holding it.</param>
/// <param name="Kind">A slot (on <paramref name="Pf"/>) or a reservation/admission in the placement ledger.</param>
/// <param name="Pf">The PF of a slot; null for a reservation.</param>
/// <param name="Detail">What it is, for the record (<c>slot held</c>, <c>queued at position 2</c>, <c>2 reservation(s), admitted</c>).</param>
public sealed record ObservedHold(MigrationId Migration, LeftoverAction Kind, PfId? Pf, string Detail);
