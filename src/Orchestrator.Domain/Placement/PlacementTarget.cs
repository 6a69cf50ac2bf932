using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Placement;

/// <summary>The chosen target: one host, and a target VF on a compatible PF there for every source VF.</summary>
/// <param name="SourceHost">The host the workload runs on now.</param>
/// <param name="Host">The target host.</param>
/// <param name="Vfs">One placement per source VF, in source id order.</param>
public sealed record PlacementTarget(HostId SourceHost, HostId Host, IReadOnlyList<VfPlacement> Vfs)
{
    /// <summary>What a migration holds while in flight: a migration slot per source VF, a VF slot and a migration slot per target VF.</summary>
    public IReadOnlyList<Reservation> ReservationsFor(MigrationId migration) =>
    [
        .. Vfs.Select(v => new Reservation(migration, v.Source, ReservationRole.Source)),
        .. Vfs.Select(v => new Reservation(migration, v.Target, ReservationRole.Target)),
    ];

    /// <summary>What <paramref name="migration"/> asks admission for once placed here: both hosts and the PFs on each side, once each.</summary>
    public AdmissionRequest AdmissionFor(MigrationId migration) =>
        new(migration, SourceHost, Host, [.. Vfs.Select(v => v.Source.Pf).Distinct()], [.. Vfs.Select(v => v.Target.Pf).Distinct()]);
}
