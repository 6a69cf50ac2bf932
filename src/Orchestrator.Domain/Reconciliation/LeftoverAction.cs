namespace Orchestrator.Domain.Reconciliation;

/// <summary>What the host reconciler does about something an ended migration (or no migration) left behind.</summary>
public enum LeftoverAction
{
    /// <summary>Reset and destroy a target VF of a RolledBack migration (or an unclaimed VF that can run nothing).</summary>
    DestroyTarget,

    /// <summary>Reset and destroy a source VF that a Completed migration should have released.</summary>
    ReleaseSource,

    /// <summary>Bring a source VF of a RolledBack migration back to RUNNING.</summary>
    ResumeSource,

    /// <summary>Free a PF migration slot, or drop a slot-queue entry, held by an ended migration.</summary>
    FreeSlot,

    /// <summary>Release the placement reservations and admission an ended migration still holds.</summary>
    ReleaseReservation,
}
