using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// <c>/readyz</c> asks the placement authority <see cref="PlacementProtocol.ProbeReady"/>: the answer must mean that a
/// placement would be answered too, so before the authority knows the directory the probe waits as a placement does.
/// </summary>
public sealed class PlacementReadinessTests : IAsyncDisposable
{
    private readonly ActorSystem _system = StandaloneSystem.Create("probe");

    public async ValueTask DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task The_authority_answers_the_readiness_probe_only_once_it_places()
    {
        // No host in the directory: the authority places only after its inventory wait.
        var wait = TimeSpan.FromSeconds(2);
        var authority = _system.ActorOf(PlacementAuthority.Props(ConcurrencyLimits.Default, TimeProvider.System, new PlacementAuthoritySettings { InventoryWait = wait }));
        var started = DateTimeOffset.UtcNow;

        await Assert.ThrowsAsync<AskTimeoutException>(() => authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromMilliseconds(500)));
        var ready = await authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromSeconds(10));

        Assert.Equal(0, ready.Hosts);
        Assert.True(DateTimeOffset.UtcNow - started >= wait - TimeSpan.FromMilliseconds(100), "answered before the authority could place");
    }

    [Fact]
    public async Task A_create_on_a_pf_the_authoritys_copy_has_not_heard_of_reads_the_directory_again_before_refusing()
    {
        // Subscribers hear of changes every 5 s here: the authority's copy holds host-a alone for as long as the test
        // needs, as it did in its first moments on a busy node, while the client's read had host-b (a CI failure).
        var system = StandaloneSystem.Create("late-copy", "akka.cluster.distributed-data.notify-subscribers-interval = 5s");
        try
        {
            var replicator = DistributedData.Get(system).Replicator;
            await PublishAsync(system, replicator, "host-a");
            var authority = system.ActorOf(PlacementAuthority.Props(ConcurrencyLimits.Default, TimeProvider.System));
            var ready = await authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal(1, ready.Hosts);

            await PublishAsync(system, replicator, "host-b");
            var pf = PfId.Parse("host-b/0000:3b:00.0");
            var answer = await authority.Ask<object>(new PlacementProtocol.BeginVfChange(pf, null, false), TimeSpan.FromSeconds(10));
            Assert.Equal(pf.Vf(0), Assert.IsType<PlacementProtocol.VfChangeAllowed>(answer).Vf);

            // A PF no node has is still refused, naming it (after the read again).
            var missing = PfId.Parse("host-b/0000:99:00.0");
            var refused = Assert.IsType<PlacementProtocol.VfChangeRefused>(await authority.Ask<object>(new PlacementProtocol.BeginVfChange(missing, null, false), TimeSpan.FromSeconds(10)));
            Assert.Equal($"PF '{missing}' is not in the inventory", refused.Reason);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_placement_query_reads_every_nodes_directory_not_the_authoritys_replica_alone()
    {
        // Two nodes whose replicas never gossip: host-b's entry is on node b alone, as an entry written to a majority
        // that left the authority's node out is until gossip spreads it (a chaos run found no target for any workload
        // in a fresh cluster, its query answered from the authority's replica).
        const string Quiet = "akka.cluster.distributed-data.gossip-interval = 1h\nakka.cluster.distributed-data.delta-crdt.enabled = off";
        var a = StandaloneSystem.Create("query-a", Quiet);
        var b = StandaloneSystem.Create("query-b", Quiet);
        try
        {
            var clusterA = Akka.Cluster.Cluster.Get(a);
            clusterA.Join(clusterA.SelfAddress);
            Akka.Cluster.Cluster.Get(b).Join(clusterA.SelfAddress);
            await WaitAsync(() => clusterA.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2
                && Akka.Cluster.Cluster.Get(b).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2);

            var workload = WorkloadId.Parse("vm-1");
            await PublishAsync(a, DistributedData.Get(a).Replicator, "host-a", workload);
            await PublishAsync(b, DistributedData.Get(b).Replicator, "host-b");
            var authority = a.ActorOf(PlacementAuthority.Props(ConcurrencyLimits.Default, TimeProvider.System));
            Assert.Equal(1, (await authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromSeconds(10))).Hosts);

            var source = VfId.Of(PfId.Parse("host-a/0000:3b:00.0"), 0);
            var answer = await authority.Ask<PlacementProtocol.PlacementAnswer>(
                new PlacementProtocol.QueryPlacement(new PlacementRequest(workload, [source])), TimeSpan.FromSeconds(15));
            Assert.True(answer.Result.IsPlaced, answer.Result.Explain());
            Assert.Equal(HostId.Parse("host-b"), answer.Result.Target!.Host);
        }
        finally
        {
            await Task.WhenAll(a.Terminate(), b.Terminate());
        }
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the two nodes did not come up");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Writes a one-PF host's directory entry into the node's own replica, as its host actor would: VF i serves
    /// <paramref name="workloads"/>[i].
    /// </summary>
    internal static async Task PublishAsync(ActorSystem system, IActorRef replicator, string host, params WorkloadId[] workloads)
    {
        var id = HostId.Parse(host);
        var pf = PfId.Of(id, "0000:3b:00.0");
        var profile = ProfileId.Parse(DriverModels.Mlx5.Profiles[0].Name);
        var descriptor = new PfDescriptor(pf.Address, "mlx5", "15b3:101e", "28.39.1002", DriverModels.Mlx5.Flags, 8, 4, [profile]);
        IReadOnlyList<VfInventory> vfs = [.. workloads.Select((w, i) => new VfInventory(VfId.Of(pf, i), VfKind.Vfio, profile, w, VfioDeviceState.Running))];
        var entry = new HostEntry(
            new HostInventory(id, "late-copy", Cordoned: false, [new PfInventory(pf, descriptor, vfs, MigrationSlotsInUse: 0)]),
            system.ActorOf(Props.Empty),
            new Dictionary<PfId, IActorRef> { [pf] = system.ActorOf(Props.Empty) },
            new Dictionary<VfId, MigrationId>(),
            0,
            DateTimeOffset.UtcNow);
        var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
        var written = await replicator.Ask<IUpdateResponse>(
            Dsl.Update(HostDirectory.KeyOf(id), LWWDictionary<string, HostEntry>.Empty, WriteLocal.Instance, d => d.SetItem(self, host, entry)),
            TimeSpan.FromSeconds(5));
        Assert.IsType<UpdateSuccess>(written);
    }
}
