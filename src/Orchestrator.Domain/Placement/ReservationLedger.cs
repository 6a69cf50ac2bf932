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

    private ReservationLedger(ImmutableList<Reservation> all) => _all = all;

    /// <summary>No reservations.</summary>
    public static ReservationLedger Empty { get; } = new([]);

    /// <summary>Every reservation, in the order they were added.</summary>
    public IReadOnlyList<Reservation> All => _all;

    /// <summary>A ledger holding <paramref name="reservations"/>.</summary>
    public static ReservationLedger Of(IEnumerable<Reservation> reservations) => new([.. reservations.Distinct()]);

    /// <summary>A copy with <paramref name="reservations"/> added (idempotent).</summary>
    public ReservationLedger Add(IEnumerable<Reservation> reservations) =>
        new(_all.AddRange(reservations.Where(r => !_all.Contains(r)).Distinct()));

    /// <summary>A copy without any reservation of <paramref name="migration"/> (idempotent).</summary>
    public ReservationLedger Release(MigrationId migration) => new(_all.RemoveAll(r => r.Migration == migration));

    /// <summary>The reservations of <paramref name="migration"/>.</summary>
    public IReadOnlyList<Reservation> Of(MigrationId migration) => [.. _all.Where(r => r.Migration == migration)];

    /// <summary>Migration slots reserved on <paramref name="pf"/>, both ends counted.</summary>
    public int MigrationSlotsOn(PfId pf) => _all.Count(r => r.Pf == pf);

    /// <summary>VF indices reserved as targets on <paramref name="pf"/>.</summary>
    public IReadOnlySet<int> TargetIndicesOn(PfId pf) =>
        _all.Where(r => r.Role == ReservationRole.Target && r.Pf == pf).Select(r => r.Vf.Index).ToHashSet();
}
