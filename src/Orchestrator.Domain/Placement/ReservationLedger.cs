using System.Collections.Immutable;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>
/// The reservations of all in-flight migrations, immutable. Placement counts them against free slots:
/// a PF's used VF indices are the union of its existing VFs and reserved target indices (so a target VF that
/// already exists is not counted twice); its used migration slots are the larger of what its PF actor reports
/// and what is reserved on it (every running migration was reserved first).
/// </summary>
public sealed class ReservationLedger
{
    private readonly ImmutableList<Reservation> _all;
    private readonly ImmutableHashSet<VfId> _held;

    private ReservationLedger(ImmutableList<Reservation> all, ImmutableHashSet<VfId>? held = null)
    {
        _all = all;
        _held = held ?? [];
    }

    /// <summary>No reservations.</summary>
    public static ReservationLedger Empty { get; } = new([]);

    /// <summary>
    /// VF indices held without a migration slot: a VF an operator is creating there, or the target VF of a migration
    /// that just ended and that the directory does not show yet. Placement never picks them as a target index.
    /// </summary>
    public IReadOnlySet<VfId> Held => _held;

    /// <summary>Every reservation, in the order they were added.</summary>
    public IReadOnlyList<Reservation> All => _all;

    /// <summary>A ledger holding <paramref name="reservations"/>.</summary>
    public static ReservationLedger Of(IEnumerable<Reservation> reservations) => new([.. reservations.Distinct()]);

    /// <summary>A copy with <paramref name="reservations"/> added (idempotent).</summary>
    public ReservationLedger Add(IEnumerable<Reservation> reservations) =>
        new(_all.AddRange(reservations.Where(r => !_all.Contains(r)).Distinct()), _held);

    /// <summary>A copy where <paramref name="vfs"/> are <see cref="Held"/> too (idempotent).</summary>
    public ReservationLedger Hold(IEnumerable<VfId> vfs) => new(_all, _held.Union(vfs));

    /// <summary>A copy without any reservation of <paramref name="migration"/> (idempotent).</summary>
    public ReservationLedger Release(MigrationId migration) => new(_all.RemoveAll(r => r.Migration == migration), _held);

    /// <summary>The reservations of <paramref name="migration"/>.</summary>
    public IReadOnlyList<Reservation> Of(MigrationId migration) => [.. _all.Where(r => r.Migration == migration)];

    /// <summary>Migration slots reserved on <paramref name="pf"/>, both ends counted.</summary>
    public int MigrationSlotsOn(PfId pf) => _all.Count(r => r.Pf == pf);

    /// <summary>VF indices reserved as targets on <paramref name="pf"/>, and those <see cref="Held"/> there.</summary>
    public IReadOnlySet<int> TargetIndicesOn(PfId pf) =>
        _all.Where(r => r.Role == ReservationRole.Target && r.Pf == pf).Select(r => r.Vf.Index)
            .Concat(_held.Where(v => v.Pf == pf).Select(v => v.Index))
            .ToHashSet();

    /// <summary>The migration whose target reservation is <paramref name="vf"/>, or null.</summary>
    public MigrationId? TargetHolderOf(VfId vf) =>
        _all.FirstOrDefault(r => r.Role == ReservationRole.Target && r.Vf == vf)?.Migration;
}
