using Akka.Actor;
using Akka.DistributedData;
using BenchmarkDotNet.Attributes;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Benchmarks;

/// <summary>
/// The host directory's hot path (issue 16): what a replicator serializes when one host's entry changes (to digest the
/// key, gossip it, send a majority write), with every host in one key as before and split by host as now; and what a
/// coordinator did per change (rebuild the whole view) against what it does now (replace a shard, look a PF up); and
/// a host's shard with its entry serialized by Hyperion (before) and by the node's <c>ReplicatedValueSerializer</c> (now).
/// 8 hosts of 2 mlx5 PFs with 64 VFs each, serialized by the node's own DData serializer (gzip above its threshold).
/// </summary>
[MemoryDiagnoser]
public class DirectoryBenchmarks
{
    private const int Hosts = 8;
    private ActorSystem _system = null!;
    private ActorSystem _hyperion = null!;
    private LWWDictionary<string, HostEntry> _whole = null!;
    private LWWDictionary<string, HostEntry> _oneShard = null!;
    private LWWDictionaryKey<string, HostEntry> _oneKey = null!;
    private DirectoryCopy _copy = null!;
    private PfId _pf;
    private byte[] _oneShardBytes = null!;
    private byte[] _oneShardHyperionBytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new NodeSettings { NodeName = "bench", Port = 0, Persistence = PersistenceProvider.InMemory, ExtraHocon = "akka.loglevel = OFF\nakka.stdout-loglevel = OFF" };
        _system = ActorSystem.Create(ClusterRoles.SystemName, OrchestratorConfig.Build(settings));
        // The binding every value had before: Hyperion, through the IOrchestratorMessage marker.
        _hyperion = ActorSystem.Create(ClusterRoles.SystemName, OrchestratorConfig.Build(settings with
        {
            ExtraHocon = settings.ExtraHocon + "\nakka.actor.serialization-bindings { \"Orchestrator.Cluster.Hosts.HostEntry, Orchestrator.Cluster\" = hyperion }",
        }));
        var self = Akka.Cluster.Cluster.Get(_system).SelfUniqueAddress;
        var profiles = DriverModels.Mlx5.Profiles.Select(p => ProfileId.Parse(p.Name)).ToList();
        _whole = LWWDictionary<string, HostEntry>.Empty;
        _copy = new DirectoryCopy();
        for (var h = 0; h < Hosts; h++)
        {
            var host = HostId.Parse($"compute-{h:00}");
            var pfs = Enumerable.Range(0, 2).Select(p =>
            {
                var id = PfId.Parse($"{host}/0000:{0x3b + p:x2}:00.0");
                var descriptor = new PfDescriptor(id.Address, "mlx5", "15b3:101e", "28.39.1002", DriverModels.Mlx5.Flags, 64, 4, profiles);
                var vfs = Enumerable.Range(0, 64).Select(i => new VfInventory(VfId.Of(id, i), VfKind.Vfio, profiles[0], WorkloadId.Parse($"vm-{h}-{p}-{i}"), VfioDeviceState.Running)).ToList();
                return new PfInventory(id, descriptor, vfs);
            }).ToList();
            var entry = new HostEntry(
                new HostInventory(host, "node-1", false, pfs),
                _system.ActorOf(Props.Empty, $"host-{host}"), // refs as long as a node's: the entry carries them
                pfs.ToDictionary(p => p.Id, p => _system.ActorOf(Props.Empty, $"pf-{host}-{p.Id.Address.Replace(':', '-')}")),
                new Dictionary<VfId, MigrationId>(),
                0,
                DateTimeOffset.UtcNow);
            _whole = (LWWDictionary<string, HostEntry>)_whole.SetItem(self, host.ToString(), entry).ResetDelta();
            var key = HostDirectory.KeyOf(host);
            _copy.Apply(key, LWWDictionary<string, HostEntry>.Empty.SetItem(self, host.ToString(), entry));
            if (h == 0)
            {
                _oneKey = key;
                _oneShard = (LWWDictionary<string, HostEntry>)LWWDictionary<string, HostEntry>.Empty.SetItem(self, host.ToString(), entry).ResetDelta();
                _pf = pfs[1].Id;
            }
        }

        _oneShardBytes = _system.Serialization.FindSerializerFor(_oneShard).ToBinary(_oneShard);
        _oneShardHyperionBytes = _hyperion.Serialization.FindSerializerFor(_oneShard).ToBinary(_oneShard);
    }

    private static object Deserialize(ActorSystem system, byte[] bytes)
    {
        var shard = LWWDictionary<string, HostEntry>.Empty;
        var serializer = system.Serialization.FindSerializerFor(shard);
        return system.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, shard));
    }

    [GlobalCleanup]
    public void Cleanup() => Task.WaitAll(_system.Terminate(), _hyperion.Terminate());

    /// <summary>First: a host's change re-serialized every host's entry (the one key), entries by Hyperion.</summary>
    [Benchmark(Baseline = true)]
    public int Serialize_whole_directory_key_hyperion() => _hyperion.Serialization.FindSerializerFor(_whole).ToBinary(_whole).Length;

    /// <summary>Then: a host's change serializes its own shard, its entry by Hyperion.</summary>
    [Benchmark]
    public int Serialize_one_host_shard_hyperion() => _hyperion.Serialization.FindSerializerFor(_oneShard).ToBinary(_oneShard).Length;

    /// <summary>Now: its own shard, its entry as compact JSON (<c>HostEntry.v1</c>).</summary>
    [Benchmark]
    public int Serialize_one_host_shard() => _system.Serialization.FindSerializerFor(_oneShard).ToBinary(_oneShard).Length;

    /// <summary>What a node receiving the shard does with it (gossip, a majority write): read it back.</summary>
    [Benchmark]
    public object Deserialize_one_host_shard_hyperion() => Deserialize(_hyperion, _oneShardHyperionBytes);

    /// <summary>The same, JSON.</summary>
    [Benchmark]
    public object Deserialize_one_host_shard() => Deserialize(_system, _oneShardBytes);

    /// <summary>Before: each coordinator rebuilt the whole view on every change to find a PF.</summary>
    [Benchmark]
    public IActorRef? Coordinator_change_rebuild_view() =>
        new InventoryView(_whole.Entries.Values.ToDictionary(h => h.Inventory.Id, h => h)).PfRef(_pf);

    /// <summary>Now: a change replaces its shard; a PF is looked up in its host's shard.</summary>
    [Benchmark]
    public IActorRef? Coordinator_change_apply_shard()
    {
        _copy.Apply(_oneKey, _oneShard);
        return _copy.PfRef(_pf);
    }
}
