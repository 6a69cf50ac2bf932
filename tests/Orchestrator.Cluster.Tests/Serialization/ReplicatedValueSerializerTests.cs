using System.Collections.Immutable;
using Akka.Actor;
using Akka.DistributedData;
using Akka.DistributedData.Internal;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Serialization;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Serialization;

/// <summary>
/// A host's directory entry is what the replicators serialize on every change of the host (digest, gossip, majority
/// write): it must come back whole on another node, refs included, and stay a few hundred bytes a VF (Hyperion's
/// ~1.8 KB a VF was most of what a node allocated under a burst of migrations).
/// </summary>
public sealed class ReplicatedValueSerializerTests : IAsyncDisposable
{
    private readonly ActorSystem _system = StandaloneSystem.Create("serializer");

    public async ValueTask DisposeAsync() => await _system.Terminate();

    [Fact]
    public void A_host_entry_round_trips_through_the_replicated_value_serializer_and_stays_small()
    {
        var entry = Entry(vfsPerPf: 64);
        var serializer = _system.Serialization.FindSerializerFor(entry);
        Assert.IsType<ReplicatedValueSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, entry);
        Assert.Equal("HostEntry.v1", manifest);

        var bytes = serializer.ToBinary(entry);
        var back = Assert.IsType<HostEntry>(_system.Serialization.Deserialize(bytes, serializer.Identifier, manifest));

        Assert.Equal(entry.Host, back.Host);
        Assert.Equal(entry.Pfs.OrderBy(kv => kv.Key), back.Pfs.OrderBy(kv => kv.Key));
        Assert.Equal(entry.VfMigrations.OrderBy(kv => kv.Key), back.VfMigrations.OrderBy(kv => kv.Key));
        Assert.Equal((entry.QueuedMigrations, entry.UpdatedAt), (back.QueuedMigrations, back.UpdatedAt));
        Assert.Equal((entry.Inventory.Id, entry.Inventory.NodeName, entry.Inventory.Cordoned), (back.Inventory.Id, back.Inventory.NodeName, back.Inventory.Cordoned));
        Assert.Equal(entry.Inventory.Pfs.Count, back.Inventory.Pfs.Count);
        foreach (var (sent, read) in entry.Inventory.Pfs.Zip(back.Inventory.Pfs))
        {
            Assert.Equal((sent.Id, sent.MigrationSlotsInUse), (read.Id, read.MigrationSlotsInUse));
            Assert.Equal(sent.Descriptor with { Profiles = [] }, read.Descriptor with { Profiles = [] });
            Assert.Equal(sent.Descriptor.Profiles, read.Descriptor.Profiles);
            Assert.Equal(sent.Vfs, read.Vfs);
        }

        // 128 VFs: well under Hyperion's ~230 KB for the same entry.
        Assert.True(bytes.Length < 128 * 200, $"{bytes.Length} bytes for 128 VFs");
    }

    [Fact]
    public void A_directory_shard_round_trips_through_the_distributed_data_serializer()
    {
        var entry = Entry(vfsPerPf: 4);
        var self = Akka.Cluster.Cluster.Get(_system).SelfUniqueAddress;
        var shard = LWWDictionary<string, HostEntry>.Empty.SetItem(self, entry.Inventory.Id.ToString(), entry);
        var serializer = _system.Serialization.FindSerializerFor(shard);
        var back = (LWWDictionary<string, HostEntry>)_system.Serialization.Deserialize(
            serializer.ToBinary(shard), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, shard));

        var read = back.Entries[entry.Inventory.Id.ToString()];
        Assert.Equal(entry.Inventory.Pfs[1].Vfs, read.Inventory.Pfs[1].Vfs);
        Assert.Equal(entry.Pfs[entry.Inventory.Pfs[1].Id], read.Pfs[entry.Inventory.Pfs[1].Id]);
    }

    [Fact]
    public void A_migration_view_round_trips_through_the_replicated_value_serializer()
    {
        var pf = PfId.Parse("host-a/0000:3b:00.0");
        var at = new DateTimeOffset(2026, 12, 4, 18, 30, 0, 123, TimeSpan.Zero);
        var view = new MigrationView(
            MigrationId.Parse("m-7hrjpywktf27sg3mh1c7c5eqp4"), WorkloadId.Parse("vm-1"), HostId.Parse("host-a"), HostId.Parse("host-b"),
            MigrationPhase.PreCopying, 2, at, at.AddMilliseconds(41.5), new MigrationProgress(4096, 512, 2, 1_000_000, 12.75), null, "slow link",
            [new MigrationTimelineEntry(MigrationPhase.Requested, at), new MigrationTimelineEntry(MigrationPhase.PreCopying, at.AddTicks(3))],
            [new MigrationRound(1, 4096, 512, 1_000_000, 10_000_000_000, 0.1 + 0.2, at)],
            [new MigrationVfPair(pf.Vf(0), PfId.Parse("host-b/0000:3b:00.0").Vf(7), "vfio", TestProfileOf())],
            MigrationStep.PreCopyRound, QueuePosition: 3, LastError: null, Coordinator: "node-2", RequestedTarget: null, Code: "Aborted",
            Policy: MigrationPolicy.Default with { BandwidthCapBytesPerSecond = 5_000_000, DowntimeLimit = TimeSpan.FromMilliseconds(12.5), NonConvergenceAction = NonConvergenceAction.ForceSwitchover });

        var serializer = _system.Serialization.FindSerializerFor(view);
        Assert.IsType<ReplicatedValueSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, view);
        Assert.Equal("MigrationView.v1", manifest);
        var back = Assert.IsType<MigrationView>(_system.Serialization.Deserialize(serializer.ToBinary(view), serializer.Identifier, manifest));

        Assert.Equal(view with { Timeline = [], Rounds = [], Vfs = [] }, back with { Timeline = [], Rounds = [], Vfs = [] });
        Assert.Equal(view.Timeline, back.Timeline);
        Assert.Equal(view.Rounds, back.Rounds);
        Assert.Equal(view.Vfs, back.Vfs);
    }

    [Fact]
    public void An_evacuation_view_round_trips_through_the_replicated_value_serializer_in_its_index()
    {
        // Replicated in the evacuation index: a stable manifest, not Hyperion's CLR type names (which a rename breaks
        // between two nodes), and no serializer built inside the replicator at a process's first evacuation (issue 16).
        var at = new DateTimeOffset(2026, 12, 6, 22, 50, 0, 250, TimeSpan.Zero);
        var view = new EvacuationView(
            "evac-1", HostId.Parse("host-a"), "Cancelled", at, at.AddSeconds(2.5), Completed: 1, RolledBack: 1, Pending: 0,
            [
                new EvacuationWorkloadView(WorkloadId.Parse("vm-1"), MigrationId.Parse("m-evac-1-vm-1"), "Completed", null),
                new EvacuationWorkloadView(WorkloadId.Parse("vm-2"), MigrationId.Parse("m-evac-1-vm-2"), "RolledBack", "not started: busy"),
                new EvacuationWorkloadView(WorkloadId.Parse("vm-3"), MigrationId.Parse("m-evac-1-vm-3"), "Cancelled", null),
            ],
            Failed: 0, Cancelled: 1, CancelReason: "operator");

        var serializer = _system.Serialization.FindSerializerFor(view);
        Assert.IsType<ReplicatedValueSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, view);
        Assert.Equal("EvacuationView.v1", manifest);
        var back = Assert.IsType<EvacuationView>(_system.Serialization.Deserialize(serializer.ToBinary(view), serializer.Identifier, manifest));
        Assert.Equal(view with { Workloads = [] }, back with { Workloads = [] });
        Assert.Equal(view.Workloads, back.Workloads);
        Assert.True(back.IsTerminal);

        // As the replicators carry it: the index's dictionary through Distributed Data's own serializer.
        var self = Akka.Cluster.Cluster.Get(_system).SelfUniqueAddress;
        var index = LWWDictionary<string, EvacuationView>.Empty.SetItem(self, view.Id, view);
        var dataSerializer = _system.Serialization.FindSerializerFor(index);
        var read = (LWWDictionary<string, EvacuationView>)_system.Serialization.Deserialize(
            dataSerializer.ToBinary(index), dataSerializer.Identifier, Akka.Serialization.Serialization.ManifestFor(dataSerializer, index));
        Assert.Equal(view.Workloads, read.Entries[view.Id].Workloads);
    }

    [Fact]
    public void A_view_keeps_every_field_of_its_policy_and_writes_the_seven_an_older_node_reads_in_their_first_units()
    {
        // Every field away from its default, so that a field the converter forgets comes back as the default and fails.
        var policy = new MigrationPolicy
        {
            DowntimeLimit = TimeSpan.FromMilliseconds(12.5),
            BandwidthCapBytesPerSecond = 5_000_000,
            MaxPreCopyRounds = 7,
            CompletionTimeoutPerGiB = TimeSpan.FromSeconds(90),
            MinimumCompletionTimeout = TimeSpan.FromSeconds(45),
            ProgressTimeout = TimeSpan.FromSeconds(12),
            NonConvergenceAction = NonConvergenceAction.KeepWaiting,
            SwitchoverAckWait = TimeSpan.FromMilliseconds(250),
            RetryBackoffBase = TimeSpan.FromMilliseconds(200),
            RetryBackoffMax = TimeSpan.FromSeconds(8),
            MaxRetries = 9,
        };
        var unchanged = typeof(MigrationPolicy).GetProperties().Where(p => p.GetMethod!.IsStatic is false && Equals(p.GetValue(policy), p.GetValue(MigrationPolicy.Default))).Select(p => p.Name).ToList();
        Assert.True(unchanged.Count == 0, "set these to other than their defaults: " + string.Join(", ", unchanged));

        var view = EndedView(MigrationId.Parse("m-policy"), 1, DateTimeOffset.UnixEpoch) with { Policy = policy };
        var serializer = _system.Serialization.FindSerializerFor(view);
        var bytes = serializer.ToBinary(view);
        Assert.Equal(policy, ((MigrationView)_system.Serialization.Deserialize(bytes, serializer.Identifier, "MigrationView.v1")).Policy);

        // What a node before this converter read into its policy record: the same names, in the same units.
        var written = System.Text.Json.Nodes.JsonNode.Parse(bytes)!["policy"]!.AsObject();
        Assert.Equal(12.5, written["downtimeLimitMs"]!.GetValue<double>());
        Assert.Equal(5_000_000, written["bandwidthBytesPerSecond"]!.GetValue<long>());
        Assert.Equal(7, written["maxPreCopyRounds"]!.GetValue<int>());
        Assert.Equal(90, written["completionTimeoutPerGiBSeconds"]!.GetValue<double>());
        Assert.Equal(12, written["progressTimeoutSeconds"]!.GetValue<double>());
        Assert.Equal("wait", written["nonConvergenceAction"]!.GetValue<string>());
        Assert.Equal(250, written["switchoverAckWaitMs"]!.GetValue<double>());

        // What such a node wrote: those seven only; the rest read as the defaults.
        foreach (var later in new[] { "minimumCompletionTimeoutSeconds", "retryBackoffBaseMs", "retryBackoffMaxMs", "maxRetries" })
        {
            Assert.True(written.Remove(later), later);
        }

        // A default policy, as nearly every view has, writes those seven only.
        var plainBytes = serializer.ToBinary(view with { Policy = MigrationPolicy.Default });
        Assert.Equal(7, System.Text.Json.Nodes.JsonNode.Parse(plainBytes)!["policy"]!.AsObject().Count);

        var older = System.Text.Json.Nodes.JsonNode.Parse(bytes)!.AsObject();
        older["policy"] = written.DeepClone();
        var read = (MigrationView)_system.Serialization.Deserialize(System.Text.Encoding.UTF8.GetBytes(older.ToJsonString()), serializer.Identifier, "MigrationView.v1");
        Assert.Equal(
            policy with
            {
                MinimumCompletionTimeout = MigrationPolicy.Default.MinimumCompletionTimeout,
                RetryBackoffBase = MigrationPolicy.Default.RetryBackoffBase,
                RetryBackoffMax = MigrationPolicy.Default.RetryBackoffMax,
                MaxRetries = MigrationPolicy.Default.MaxRetries,
            },
            read.Policy);
    }

    [Fact]
    public void A_gossip_of_the_migration_index_at_its_cap_fits_half_a_remoting_frame()
    {
        // DData's gossip answers a status with the whole value of up to max-delta-elements differing keys in ONE message.
        // At Akka's default (500) a gossip of the index's 64 keys was many frames, and remoting dropped it every time
        // (the soak counted ~600 drops a node in 22 minutes): the repair of a missed delta never arrived.
        var self = Akka.Cluster.Cluster.Get(_system).SelfUniqueAddress;
        var index = MigrationIndex.Keys.Select(_ => LWWDictionary<string, MigrationView>.Empty).ToArray();
        var random = new Random(15);
        var start = new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < IndexRetention.Default.MaxEnded; i++)
        {
            var view = EndedView(MigrationId.New(start.AddSeconds(i), random), i, start.AddSeconds(i));
            var shard = MigrationIndex.ShardOf(view.Id.Value);
            index[shard] = index[shard].SetItem(self, view.Id.ToString(), view);
        }

        var config = _system.Settings.Config;
        var frame = config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? throw new InvalidOperationException("no frame size");
        var perGossip = config.GetInt("akka.cluster.distributed-data.max-delta-elements");
        var sizes = index.Select(shard => _system.Serialization.FindSerializerFor(shard).ToBinary(shard).Length).ToArray();
        var largest = Enumerable.Range(0, index.Length).OrderByDescending(i => sizes[i]).Take(perGossip)
            .ToImmutableDictionary(i => MigrationIndex.Keys[i].Id, i => Internal<DataEnvelope>(typeof(DataEnvelope), index[i], ImmutableDictionary<Akka.Cluster.UniqueAddress, IPruningState>.Empty, VersionVector.Empty));
        // The replicator's own message, serialized as the replicator sends it (both types are Akka's internals).
        var gossip = Internal<object>(typeof(DataEnvelope).Assembly.GetType("Akka.DistributedData.Internal.Gossip", throwOnError: true)!, largest, false, null!, null!);
        var bytes = _system.Serialization.FindSerializerFor(gossip).ToBinary(gossip).Length;

        // Under half the frame, as the bench's index_bytes_after_50k_over_frame asks: room for views that grow.
        Assert.True(bytes < frame / 2, $"a gossip of the {perGossip} largest index keys is {bytes} B, the frame {frame} B (largest key {sizes.Max()} B, all {sizes.Sum()} B)");
    }

    private static T Internal<T>(Type type, params object[] arguments) =>
        (T)Activator.CreateInstance(type, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, null, arguments, null)!;

    /// <summary>A completed migration's view as a coordinator publishes it: one in four pre-copied (its rounds ride along).</summary>
    private static MigrationView EndedView(MigrationId id, int i, DateTimeOffset at)
    {
        var source = PfId.Parse($"compute-{i % 16:00}/0000:3b:00.0");
        var target = PfId.Parse($"compute-{(i + 1) % 16:00}/0000:3b:00.0");
        MigrationPhase[] phases = i % 4 == 0
            ? [MigrationPhase.Requested, MigrationPhase.Placed, MigrationPhase.TargetPrepared, MigrationPhase.PreCopying, MigrationPhase.SwitchoverStarted, MigrationPhase.StateTransferred,
                MigrationPhase.TargetLoaded, MigrationPhase.Committed, MigrationPhase.TargetRunning, MigrationPhase.SourceReleased, MigrationPhase.Completed]
            : [MigrationPhase.Requested, MigrationPhase.Placed, MigrationPhase.TargetPrepared, MigrationPhase.SwitchoverStarted, MigrationPhase.StateTransferred,
                MigrationPhase.TargetLoaded, MigrationPhase.Committed, MigrationPhase.TargetRunning, MigrationPhase.SourceReleased, MigrationPhase.Completed];
        var rounds = i % 4 == 0
            ? Enumerable.Range(1, 3).Select(r => new MigrationRound(r, 67_108_864 >> r, 4_194_304 >> r, 16_777_216, 1_000_000_000, 12.5 * r, at.AddMilliseconds(40 * r))).ToList()
            : [];
        return new MigrationView(
            id, WorkloadId.Parse($"vm-{i % 2000}"), source.Host, target.Host, MigrationPhase.Completed, 1, at, at.AddMilliseconds(480),
            new MigrationProgress(67_108_864, 0, rounds.Count, 0, 74.25), 81.5, null,
            [.. phases.Select((p, n) => new MigrationTimelineEntry(p, at.AddMilliseconds(n * 41.3)))],
            rounds,
            [new MigrationVfPair(source.Vf(i % 64), target.Vf((i + 7) % 64), "vfio", TestProfileOf())],
            MigrationStep.None, QueuePosition: null, LastError: null, Coordinator: $"node-{(i % 3) + 1}",
            Policy: MigrationPolicy.Default);
    }

    private static ProfileId TestProfileOf() => ProfileId.Parse(DriverModels.Mlx5.Profiles[0].Name);

    private HostEntry Entry(int vfsPerPf)
    {
        var host = HostId.Parse("compute-07");
        var profiles = DriverModels.Mlx5.Profiles.Select(p => ProfileId.Parse(p.Name)).ToList();
        var pfs = Enumerable.Range(0, 2).Select(p =>
        {
            var id = PfId.Parse($"{host}/0000:{0x3b + p:x2}:00.0");
            var descriptor = new PfDescriptor(id.Address, "mlx5", "15b3:101e", "28.39.1002", DriverModels.Mlx5.Flags, 64, 4, profiles);
            var vfs = Enumerable.Range(0, vfsPerPf).Select(i => new VfInventory(
                VfId.Of(id, i), i % 3 == 0 ? VfKind.Kernel : VfKind.Vfio, profiles[i % profiles.Count],
                i % 5 == 0 ? null : WorkloadId.Parse($"vm-{p}-{i}"), i % 2 == 0 ? VfioDeviceState.Running : VfioDeviceState.PreCopy)).ToList();
            return new PfInventory(id, descriptor, vfs, MigrationSlotsInUse: p + 1);
        }).ToList();
        return new HostEntry(
            new HostInventory(host, "node-3", Cordoned: true, pfs),
            _system.ActorOf(Props.Empty, "host"),
            pfs.ToDictionary(p => p.Id, p => _system.ActorOf(Props.Empty, "pf-" + p.Id.Address.Replace(':', '-'))),
            new Dictionary<VfId, MigrationId> { [VfId.Of(pfs[0].Id, 1)] = MigrationId.Parse("m-7hrjpywktf27sg3mh1c7c5eqp4") },
            3,
            new DateTimeOffset(2026, 12, 4, 18, 30, 0, TimeSpan.Zero));
    }
}
