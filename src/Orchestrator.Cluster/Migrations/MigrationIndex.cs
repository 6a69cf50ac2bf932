using Akka.DistributedData;

namespace Orchestrator.Cluster.Migrations;

/// <summary>The replicated index of migrations (their latest view), for listing and live updates.</summary>
public static class MigrationIndex
{
    public static LWWDictionaryKey<string, MigrationView> Key { get; } = new("orchestrator-migrations");
}
