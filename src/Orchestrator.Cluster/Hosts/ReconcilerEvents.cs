using Orchestrator.Domain.Reconciliation;

namespace Orchestrator.Cluster.Hosts;

/// <summary>Persisted events of a host's reconciler (persistence id <c>reconciler-{host}</c>).</summary>
public static class ReconcilerEvents
{
    /// <summary>Marker of the reconciler's persisted events (bound to the event serializer, never Hyperion).</summary>
    public interface IReconcilerEvent;

    /// <summary>The reconciler cleaned something an ended migration (or none, when <paramref name="Migration"/> is null) left behind.</summary>
    /// <param name="Host">The host.</param>
    /// <param name="Action">What was done.</param>
    /// <param name="Pf">The PF concerned.</param>
    /// <param name="Vf">The VF, for VF clean-ups.</param>
    /// <param name="Migration">The ended migration that left it.</param>
    /// <param name="Epoch">That migration's epoch as the reconciler knew it.</param>
    /// <param name="Reason">Why it was a leftover.</param>
    /// <param name="At">When.</param>
    public sealed record LeftoverCleaned(
        HostId Host,
        LeftoverAction Action,
        PfId? Pf,
        VfId? Vf,
        MigrationId? Migration,
        long? Epoch,
        string Reason,
        DateTimeOffset At) : IReconcilerEvent;
}
