namespace Orchestrator.Domain.Placement;

/// <summary>Which end of a migration a reservation holds.</summary>
public enum ReservationRole
{
    /// <summary>A migration slot on the source VF's PF.</summary>
    Source,

    /// <summary>The target VF's index (a VF slot) and a migration slot on its PF.</summary>
    Target,
}
