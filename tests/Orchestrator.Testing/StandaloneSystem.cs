using Akka.Actor;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Testing;

/// <summary>
/// An actor system with a node's configuration (serializers, bindings, in-memory journal, an ephemeral port) that joins
/// no cluster: for tests of one actor or of serialization, without a <see cref="TestCluster"/>.
/// </summary>
public static class StandaloneSystem
{
    /// <summary>Creates it, logging off, with <paramref name="extraHocon"/> over the node's configuration; the caller terminates it.</summary>
    public static ActorSystem Create(string nodeName, string? extraHocon = null) =>
        ActorSystem.Create(ClusterRoles.SystemName, OrchestratorConfig.Build(new NodeSettings
        {
            NodeName = nodeName,
            Port = 0,
            Persistence = PersistenceProvider.InMemory,
            ExtraHocon = "akka.loglevel = OFF\nakka.stdout-loglevel = OFF\n" + extraHocon,
        }));
}
