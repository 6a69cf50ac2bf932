using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>What an in-flight migration holds on one PF until it ends.</summary>
/// <param name="Migration">The holder.</param>
/// <param name="Vf">The source VF, or the target VF whose index is held.</param>
/// <param name="Role">Source (a migration slot) or target (a VF slot and a migration slot).</param>
public sealed record Reservation(MigrationId Migration, VfId Vf, ReservationRole Role)
{
    /// <summary>The PF that holds the slots.</summary>
    public PfId Pf => Vf.Pf;

    /// <inheritdoc />
    public override string ToString() => $"{Migration}:{Role}:{Vf}";
}
