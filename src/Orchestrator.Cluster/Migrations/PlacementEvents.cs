using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Migrations;

/// <summary>Persisted events of the placement authority: the cluster's reservation ledger.</summary>
public static class PlacementEvents
{
    /// <summary>Marker of the placement authority's persisted events.</summary>
    public interface IPlacementEvent;

    /// <summary>A migration holds these reservations (source and target VF slots, migration slots).</summary>
    public sealed record Reserved(MigrationId Migration, PlacementTarget Target, IReadOnlyList<Reservation> Reservations, DateTimeOffset At) : IPlacementEvent;

    /// <summary>The concurrency limits admitted a migration; it counts against them until released.</summary>
    public sealed record AdmissionGranted(AdmissionRequest Request, DateTimeOffset At) : IPlacementEvent;

    /// <summary>
    /// A migration holds its workload (and the source VFs it named) until it ends: no other migration of the workload
    /// is accepted meanwhile, whatever the node, key or timing of its request (DESIGN.md §4, invariant 6).
    /// </summary>
    public sealed record WorkloadClaimed(MigrationId Migration, WorkloadId Workload, IReadOnlyList<VfId> SourceVfs, DateTimeOffset At) : IPlacementEvent;

    /// <summary>A migration ended (or never started); its workload claim and reservations are free.</summary>
    public sealed record Released(MigrationId Migration, DateTimeOffset At) : IPlacementEvent;

    /// <summary>
    /// The authority's snapshot: what the migrations in flight hold, as the events that recreate it (applied in this
    /// order: claims, reservations, admissions). Written every <see cref="PlacementAuthoritySettings.SnapshotEvery"/>
    /// events, after which the events before it are deleted, so recovery and singleton hand-over read what is live,
    /// not every migration ever run. Bound to the event serializer like the events (stable manifest, versioned).
    /// </summary>
    public sealed record LedgerSnapshot(
        IReadOnlyList<WorkloadClaimed> Claims,
        IReadOnlyList<Reserved> Reservations,
        IReadOnlyList<AdmissionGranted> Admissions,
        DateTimeOffset At) : IPlacementEvent;
}
