namespace Orchestrator.Cluster.Hosting;

/// <summary>Names shared by every node.</summary>
public static class ClusterRoles
{
    /// <summary>The ActorSystem name: every node of one cluster uses it.</summary>
    public const string SystemName = "orchestrator";

    /// <summary>Runs migration coordinators (sharded entities) and the admission singleton.</summary>
    public const string Coordinator = "coordinator";

    /// <summary>Runs host actors (devices).</summary>
    public const string Hosts = "hosts";
}
