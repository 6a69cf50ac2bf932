namespace Orchestrator.Cluster.History;

/// <summary><c>vf-destroyed</c>: the VF no longer exists.</summary>
public sealed record VfDestroyed : VfRecord;
