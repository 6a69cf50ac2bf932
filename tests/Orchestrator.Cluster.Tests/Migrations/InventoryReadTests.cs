using Akka.Actor;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Every migration start reads the host directory from a majority (DESIGN invariant 7). Concurrent starts share those
/// reads (<see cref="Orchestrator.Cluster.Hosting.CoalescedRead{T}"/>, whose sharing <c>CoalescedReadTests</c> pins down), but a caller never
/// shares a read that began before it called, so it still sees every change answered before its call.
/// </summary>
public class InventoryReadTests
{
    [Fact]
    public async Task A_burst_of_shared_reads_each_sees_what_was_answered_before_it()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);

        var views = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => node.Client.GetInventoryAsync()));
        Assert.All(views, v => Assert.Equal(3, v.Hosts.Count));

        // Reads keep running all along; each VF created is answered once a majority of the directory holds it (as a PF
        // answers migration steps), and the read after that answer shows it.
        using var stop = new CancellationTokenSource();
        var background = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await node.Client.GetInventoryAsync();
            }
        });
        var pf = PfId.Parse("host-b/0000:3b:00.0");
        for (var i = 0; i < 5; i++)
        {
            var created = await node.Client.CreateVfAsync(pf, VfKind.Vfio, TestProfiles.EthSmall, null);
            Assert.True(created.IsOk, created.Error?.Message);
            Assert.NotNull((await node.Client.GetInventoryAsync()).Inventory.FindVf(created.Value!.Vf));
        }

        await stop.CancelAsync();
        await background;
    }

    [Fact]
    public async Task Creates_without_an_index_right_after_one_another_each_make_a_new_vf()
    {
        // The placement authority picks a create's index from its copy of the directory, which its subscription brings
        // up to date one notification interval after the PF answered; it holds the VFs operators just changed until its
        // copy shows them. Else alike VFs (kind, profile, no workload) made one right after another would be given the
        // last one's index, and the PF refuses a picked index that exists. Subscribers here hear of changes every 5 s,
        // not every 100 ms: the copy is stale for every create but the first, whatever the machine's pace.
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], extraHocon: "akka.cluster.distributed-data.notify-subscribers-interval = 5s");
        var pf = PfId.Parse("host-b/0000:3b:00.0");

        var made = new List<VfId>();
        for (var i = 0; i < 5; i++)
        {
            var created = await node.Client.CreateVfAsync(pf, VfKind.Vfio, TestProfiles.EthSmall, null);
            Assert.True(created.IsOk, created.Error?.Message);
            made.Add(created.Value!.Vf);
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => node.Client.CreateVfAsync(pf, VfKind.Vfio, TestProfiles.EthSmall, null)));
        Assert.All(burst, b => Assert.True(b.IsOk, b.Error?.Message));
        made.AddRange(burst.Select(b => b.Value!.Vf));

        Assert.Equal(8, made.Distinct().Count());
        Assert.Equal(8, cluster.Driver("host-b", "0000:3b:00.0").ListVfs().Count);
    }

    [Fact]
    public async Task A_target_host_the_authority_has_not_been_notified_of_is_read_before_a_placement_is_refused()
    {
        // CI, 2026-12-06: a migration started as soon as its node showed three hosts rolled back "no compatible target:
        // host-a: SameHostAsSource": the authority's subscription had brought it the source host only. Here it hears
        // of changes every 5 s: it is ready with host-a, then host-b comes up on a second node, and the migration is
        // asked for once node-1's copy of the directory shows host-b.
        const string slowNotifications = "akka.cluster.distributed-data.notify-subscribers-interval = 5s";
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var first = await cluster.StartNodeWithHostsAsync("node-1", ["host-a"], extraHocon: slowNotifications);
        var ready = await first.Runtime.Placement.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromSeconds(30));
        Assert.Equal(1, ready.Hosts);

        await cluster.StartNodeAsync("node-2", ["host-b"], extraHocon: slowNotifications);
        var seen = await first.Client.WaitForHostsAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(2, seen.Hosts.Count);

        var id = MigrationId.Parse("m-after-new-host");
        var started = await first.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), null);
        Assert.True(started.IsOk, started.Error?.Message);
        var done = await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(HostId.Parse("host-b"), done.Target);
    }
}
