using Akka.DistributedData;
using Akka.Actor;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Inventory;

/// <summary>
/// The host directory is split over keys by host so that one host's publish serializes and gossips its own entry, not
/// every host's; every node must put a host under the same key, so the split is a stable hash.
/// </summary>
public class HostDirectoryTests
{
    [Fact]
    public void A_hosts_shard_is_the_same_in_every_process()
    {
        // Pinned: FNV-1a of the host id's text, modulo 16. A change here moves every host to another key.
        var host = HostId.Parse("host-a");
        Assert.Equal(HostDirectory.Keys[HostDirectory.ShardOf(host)], HostDirectory.KeyOf(host));
        Assert.Equal(5, HostDirectory.ShardOf(host));
        Assert.Equal(7, HostDirectory.ShardOfKey(HostDirectory.Keys[7]));
        Assert.Equal(-1, HostDirectory.ShardOfKey(MigrationIndex.Keys[7]));
        Assert.False(new DirectoryCopy().Apply(MigrationIndex.Keys[7], LWWDictionary<string, MigrationView>.Empty));
    }

    [Fact]
    public async Task Each_host_writes_only_its_own_key_and_a_copy_of_the_keys_finds_every_pf()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        var pf = PfId.Parse("host-b/0000:3b:00.0");
        var created = await node.Client.CreateVfAsync(pf, VfKind.Vfio, TestProfiles.EthSmall, null);
        Assert.True(created.IsOk, created.Error?.Message);

        var replicator = DistributedData.Get(node.System).Replicator;
        var copy = new DirectoryCopy();
        for (var shard = 0; shard < HostDirectory.ShardCount; shard++)
        {
            var key = HostDirectory.Keys[shard];
            var response = await replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), TimeSpan.FromSeconds(5));
            if (response is GetSuccess success)
            {
                var hosts = success.Get(key).Entries.Values.Select(e => e.Inventory.Id).ToList();
                Assert.All(hosts, h => Assert.Equal(shard, HostDirectory.ShardOf(h)));
                Assert.True(copy.Apply(key, success.Data));
            }
            else
            {
                Assert.IsType<NotFound>(response);
            }
        }

        Assert.Equal(3, copy.HostCount);
        Assert.Equal(["host-a", "host-b", "host-c"], copy.View.Hosts.Keys.Select(h => h.ToString()).Order());
        Assert.NotNull(copy.PfRef(pf));
        Assert.Null(copy.PfRef(PfId.Parse("host-b/0000:99:00.0")));
        Assert.NotNull(copy.View.Inventory.FindVf(created.Value!.Vf));
        Assert.Equal(copy.View.Hosts.Keys.Order(), (await node.Client.GetInventoryAsync()).Hosts.Keys.Order());

        // Refusals say what the inventory holds: a mistyped address is told from a host no one has heard of.
        var wrongPf = await node.Client.CreateVfAsync(PfId.Parse("host-b/0000:99:00.0"), VfKind.Vfio, TestProfiles.EthSmall, null);
        Assert.Equal("PF 'host-b/0000:99:00.0' is not in the inventory (host 'host-b' has 0000:3b:00.0)", wrongPf.Error?.Message);
        var wrongHost = await node.Client.DestroyVfAsync(VfId.Parse("host-z/0000:3b:00.0/vf0"));
        Assert.Equal("PF 'host-z/0000:3b:00.0' is not in the inventory (no host 'host-z' among 3)", wrongHost.Error?.Message);
    }

    [Fact]
    public async Task An_entry_written_while_its_node_was_alone_reaches_a_node_that_joins_without_gossip()
    {
        // Gossip (and the delta propagation paced by it) is an hour away: only the host's own write can bring its entry
        // to the new node. Its majority write while node-1 was alone counted one member, so it reached no one; the host
        // writes again to a majority when a node comes up.
        const string noGossip = "akka.cluster.distributed-data.gossip-interval = 1h";
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        await cluster.StartNodeWithHostsAsync("node-1", ["host-a"], extraHocon: noGossip);
        var joined = await cluster.StartNodeAsync("node-2", [], extraHocon: noGossip);

        var replicator = DistributedData.Get(joined.System).Replicator;
        await Eventually.TrueAsync(
            async () => (await HostDirectory.ReadAsync(replicator, ReadLocal.Instance, TimeSpan.FromSeconds(5)))?.View.Hosts.ContainsKey(HostId.Parse("host-a")) == true,
            "host-a's entry in node-2's replica",
            TimeSpan.FromSeconds(45)); // within the host's rewrites (~30 s of them), on 2 loaded cores
    }
}
