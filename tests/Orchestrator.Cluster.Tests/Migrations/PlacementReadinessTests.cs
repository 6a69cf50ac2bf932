using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
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

    /// <summary>Writes a one-PF host's directory entry into the node's own replica, as its host actor would.</summary>
    private static async Task PublishAsync(ActorSystem system, IActorRef replicator, string host)
    {
        var id = HostId.Parse(host);
        var pf = PfId.Of(id, "0000:3b:00.0");
        var profile = ProfileId.Parse(DriverModels.Mlx5.Profiles[0].Name);
        var descriptor = new PfDescriptor(pf.Address, "mlx5", "15b3:101e", "28.39.1002", DriverModels.Mlx5.Flags, 8, 4, [profile]);
        var entry = new HostEntry(
            new HostInventory(id, "late-copy", Cordoned: false, [new PfInventory(pf, descriptor, [], MigrationSlotsInUse: 0)]),
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
