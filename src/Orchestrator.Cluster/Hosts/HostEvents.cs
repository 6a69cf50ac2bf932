namespace Orchestrator.Cluster.Hosts;

/// <summary>Persisted events of a host actor: what must survive a node restart that the devices do not tell.</summary>
public static class HostEvents
{
    /// <summary>Marker of the host's persisted events (bound to the event serializer, never Hyperion).</summary>
    public interface IHostEvent;

    /// <summary>A VF now serves a workload (or none): the devices do not know workloads; the host remembers.</summary>
    public sealed record WorkloadAssigned(VfId Vf, WorkloadId? Workload) : IHostEvent;

    /// <summary>The host was cordoned (no new migration targets) or uncordoned.</summary>
    public sealed record CordonChanged(bool Cordoned, string? Reason, DateTimeOffset At) : IHostEvent;

    /// <summary>
    /// The host journal's snapshot: the label of every VF it ever labelled (null when cleared: the topology's label no
    /// longer applies) and the cordon. The events before it are deleted once it is stored.
    /// </summary>
    public sealed record HostJournalSnapshot(IReadOnlyList<WorkloadAssigned> Labels, bool Cordoned, DateTimeOffset At) : IHostEvent;
}
