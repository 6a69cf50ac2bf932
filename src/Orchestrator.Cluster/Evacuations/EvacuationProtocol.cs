namespace Orchestrator.Cluster.Evacuations;

/// <summary>Messages of an evacuation job (sent through its shard region in an <see cref="EvacuationEnvelope"/>).</summary>
public static class EvacuationProtocol
{
    /// <summary>Drain a host: cordon it, then migrate every workload with a VF on it (idempotent per job id).</summary>
    public sealed record StartEvacuation(HostId Host) : IOrchestratorMessage;

    /// <summary>Ask for the job's progress.</summary>
    public sealed record GetEvacuation : IOrchestratorMessage
    {
        public static GetEvacuation Instance { get; } = new();
    }

    /// <summary>
    /// Cancel the job (idempotent): start nothing more, abort what is not Committed. Answered with the job's view, or
    /// <see cref="EvacuationRejected"/> when it already ended without being cancelled.
    /// </summary>
    public sealed record CancelEvacuation(string Reason) : IOrchestratorMessage;

    /// <summary>No job has this id.</summary>
    public sealed record UnknownEvacuation(string Evacuation) : IOrchestratorMessage;

    /// <summary>The job was refused (nothing to do, host unknown).</summary>
    public sealed record EvacuationRejected(string Evacuation, string Reason) : IOrchestratorMessage;
}

/// <summary>The sharding envelope of evacuation jobs.</summary>
public sealed record EvacuationEnvelope(string Evacuation, object Message) : IOrchestratorMessage;

/// <summary>
/// An evacuation's progress as clients see it. <see cref="State"/>: Running, Cancelling, Completed (every workload's
/// migration ended) or Cancelled (ended after a cancel); <see cref="Cancelled"/> counts workloads whose migration
/// never started because of the cancel.
/// </summary>
public sealed record EvacuationView(
    string Id,
    HostId Host,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Completed,
    int RolledBack,
    int Pending,
    IReadOnlyList<EvacuationWorkloadView> Workloads,
    int Failed = 0,
    int Cancelled = 0,
    string? CancelReason = null) : IOrchestratorMessage
{
    /// <summary>True once every workload's migration ended (Completed or Cancelled).</summary>
    public bool IsTerminal => State is "Completed" or "Cancelled";
}

/// <summary>The replicated index of evacuation jobs (their latest view), for listing.</summary>
public static class EvacuationIndex
{
    public static Akka.DistributedData.LWWDictionaryKey<string, EvacuationView> Key { get; } = new("orchestrator-evacuations");
}

/// <summary>One workload of an evacuation: its migration and where that stands.</summary>
public sealed record EvacuationWorkloadView(WorkloadId Workload, MigrationId Migration, string State, string? Reason);
