using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;

namespace Orchestrator.Benchmarks;

/// <summary>
/// A migration's view as the replicators carry it (issue 15's index): a coordinator republishes it on every event, and
/// each change is serialized to digest, gossip and write it. Written and read by the node's own serializer for it
/// (<c>ReplicatedValueSerializer</c>, <c>MigrationView.v1</c>, the policy through its own converter), from the final state
/// of a whole happy-path migration (<see cref="MigrationJournal"/>).
/// </summary>
[MemoryDiagnoser]
public class MigrationViewBenchmarks
{
    private ActorSystem _system = null!;
    private MigrationView _view = null!;
    private Akka.Serialization.Serializer _serializer = null!;
    private string _manifest = null!;
    private byte[] _bytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new NodeSettings { NodeName = "bench", Port = 0, Persistence = PersistenceProvider.InMemory, ExtraHocon = "akka.loglevel = OFF\nakka.stdout-loglevel = OFF" };
        _system = ActorSystem.Create(ClusterRoles.SystemName, OrchestratorConfig.Build(settings));
        _view = MigrationView.From(MigrationJournal.Drive().Final, MigrationJournal.T0, coordinator: "akka.tcp://orchestrator@127.0.0.1:7355");
        _serializer = _system.Serialization.FindSerializerFor(_view);
        _manifest = Akka.Serialization.Serialization.ManifestFor(_serializer, _view);
        _bytes = _serializer.ToBinary(_view);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    /// <summary>What a replicator does with each new version of the view.</summary>
    [Benchmark]
    public int Write_view() => _serializer.ToBinary(_view).Length;

    /// <summary>What a node receiving it (delta, gossip, a majority read) does.</summary>
    [Benchmark]
    public object Read_view() => _system.Serialization.Deserialize(_bytes, _serializer.Identifier, _manifest);
}
