namespace Orchestrator.Cluster.History;

/// <summary><c>state-saved</c>: the source PF finished reading a VF's state stream (STOP_COPY) for a migration.</summary>
public sealed record StateSaved : StateStreamRecord;
