namespace Orchestrator.Cluster.History;

/// <summary><c>state-loaded</c>: the target device accepted a state stream (RESUMING → STOP succeeded).</summary>
public sealed record StateLoaded : StateStreamRecord;
