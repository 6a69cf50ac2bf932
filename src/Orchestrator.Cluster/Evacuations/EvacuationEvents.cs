namespace Orchestrator.Cluster.Evacuations;

/// <summary>Persisted events of an evacuation job.</summary>
public static class EvacuationEvents
{
    /// <summary>Marker of the evacuation job's persisted events.</summary>
    public interface IEvacuationEvent;

    /// <summary>The job started: the host is cordoned and these workloads will move, each by its own migration.</summary>
    public sealed record EvacuationStarted(string Evacuation, HostId Host, IReadOnlyList<EvacuationItem> Plan, DateTimeOffset At) : IEvacuationEvent;

    /// <summary>
    /// Workloads found on the host once every planned one had moved (a migration placed there before the cordon landed,
    /// an operator created a VF): they move too, each by its own migration.
    /// </summary>
    public sealed record EvacuationPlanExtended(string Evacuation, IReadOnlyList<EvacuationItem> Added, DateTimeOffset At) : IEvacuationEvent;

    /// <summary>A workload's migration ended (Completed, RolledBack or Failed, with the reason).</summary>
    public sealed record WorkloadMigrationEnded(string Evacuation, WorkloadId Workload, MigrationId Migration, string State, string? Reason, DateTimeOffset At) : IEvacuationEvent;

    /// <summary>Every workload's migration ended; <paramref name="RolledBack"/> counts every one that did not complete (RolledBack or Failed).</summary>
    public sealed record EvacuationEnded(string Evacuation, int Completed, int RolledBack, DateTimeOffset At) : IEvacuationEvent;

    /// <summary>
    /// The job was cancelled: no migration of it starts any more; those not yet Committed are aborted (they roll back),
    /// those past it complete. A workload whose migration never started ends Cancelled.
    /// </summary>
    public sealed record EvacuationCancelled(string Evacuation, string Reason, DateTimeOffset At) : IEvacuationEvent;

    /// <summary>One workload of the plan and the migration that moves it.</summary>
    public sealed record EvacuationItem(WorkloadId Workload, MigrationId Migration);
}
