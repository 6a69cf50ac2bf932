using System.Collections.Concurrent;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// DESIGN invariant 7: once a coordinator has ended a migration, every node's inventory (as clients read it) already
/// shows the workload where the migration left it, and a new request for the workload is accepted at once. Each read
/// below happens the moment the coordinator records the terminal state: no waiting, no polling.
/// </summary>
public class ReadYourWritesTests
{
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly HostId HostA = HostId.Parse("host-a");
    private static readonly HostId HostB = HostId.Parse("host-b");

    [Fact]
    public async Task A_completed_migration_is_in_every_nodes_inventory_the_moment_it_is_answered()
    {
        await using var fx = await Fixture.StartAsync();
        var there = MigrationId.Parse("m-ryw-there");
        var ended = fx.Terminal(there);
        Assert.True((await fx.Nodes[2].Client.StartMigrationAsync(there, Vm1, HostB)).IsOk);

        Assert.Equal(MigrationPhase.Completed, (await ended.WaitAsync(TimeSpan.FromSeconds(120))).State);
        await fx.AssertEveryNodeSeesAsync(there, runsOn: HostB, gone: HostA);

        // Straight back, asked on the node of the old source, with no wait: the workload is found where it runs now.
        var back = MigrationId.Parse("m-ryw-back");
        var backEnded = fx.Terminal(back);
        var started = await fx.Nodes[0].Client.StartMigrationAsync(back, Vm1, HostA);
        Assert.True(started.IsOk, started.Error?.Message);
        Assert.Equal(MigrationPhase.Completed, (await backEnded.WaitAsync(TimeSpan.FromSeconds(120))).State);
        await fx.AssertEveryNodeSeesAsync(back, runsOn: HostA, gone: HostB);
    }

    [Fact]
    public async Task A_rolled_back_migration_is_in_every_nodes_inventory_the_moment_it_is_answered()
    {
        await using var fx = await Fixture.StartAsync();
        var aborted = MigrationId.Parse("m-ryw-abort");
        var ended = fx.Terminal(aborted);
        // A downtime limit the device can never meet keeps the migration pre-copying until it is aborted.
        var policy = MigrationPolicy.Default with
        {
            DowntimeLimit = TimeSpan.FromTicks(1),
            NonConvergenceAction = NonConvergenceAction.KeepWaiting,
            MaxPreCopyRounds = 100_000,
        };
        fx.Cluster.Driver("host-a", "0000:3b:00.0").SetDirtyRate(0, 1L << 30);
        Assert.True((await fx.Nodes[2].Client.StartMigrationAsync(aborted, Vm1, HostB, policy)).IsOk);
        await Eventually.AssertAsync(async () =>
            Assert.Equal(MigrationPhase.PreCopying, (await fx.Nodes[2].Client.GetMigrationAsync(aborted)).Value!.State), TimeSpan.FromSeconds(90));
        Assert.True((await fx.Nodes[2].Client.AbortAsync(aborted, "read-your-writes test")).IsOk);

        Assert.Equal(MigrationPhase.RolledBack, (await ended.WaitAsync(TimeSpan.FromSeconds(120))).State);
        await fx.AssertEveryNodeSeesAsync(aborted, runsOn: HostA, gone: HostB);

        // The workload may move again at once, and the target's slot is free again.
        fx.Cluster.Driver("host-a", "0000:3b:00.0").SetDirtyRate(0, 0);
        var again = MigrationId.Parse("m-ryw-again");
        var againEnded = fx.Terminal(again);
        var started = await fx.Nodes[1].Client.StartMigrationAsync(again, Vm1, HostB);
        Assert.True(started.IsOk, started.Error?.Message);
        Assert.Equal(MigrationPhase.Completed, (await againEnded.WaitAsync(TimeSpan.FromSeconds(120))).State);
        await fx.AssertEveryNodeSeesAsync(again, runsOn: HostB, gone: HostA);
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<MigrationId, TaskCompletionSource<MigrationView>> _terminal = new();

        private Fixture(TestCluster cluster) => Cluster = cluster;

        public TestCluster Cluster { get; }

        public IReadOnlyList<TestNode> Nodes => Cluster.Nodes;

        public static async Task<Fixture> StartAsync()
        {
            var fx = new Fixture(TestCluster.Create(TestTopologies.ThreeHosts));
            // Told by the coordinator, on whichever node it runs, as soon as it has written the terminal event.
            var options = TestCluster.DefaultOptions with { OnMigrationChanged = fx.OnMigrationChanged };
            await fx.Cluster.StartNodeAsync("node-1", ["host-a"], options);
            await fx.Cluster.StartNodeAsync("node-2", ["host-b"], options);
            await fx.Cluster.StartNodeAsync("node-3", ["host-c"], options);
            foreach (var node in fx.Nodes)
            {
                await node.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(20));
            }

            return fx;
        }

        public Task<MigrationView> Terminal(MigrationId id) => Watch(id).Task;

        /// <summary>Reads every node's inventory once, right now, and asserts where the migration's workload runs.</summary>
        public async Task AssertEveryNodeSeesAsync(MigrationId id, HostId runsOn, HostId gone)
        {
            var reads = await Task.WhenAll(Nodes.Select(async n => (n.Name, View: await n.Client.GetInventoryAsync())));
            Assert.True((await Nodes[0].Client.GetMigrationAsync(id)).Value!.IsTerminal);
            foreach (var (name, view) in reads)
            {
                var vfs = view.Inventory.VfsOf(Vm1);
                Assert.True(vfs.Count == 1, $"{name}: {Vm1} has {vfs.Count} VF(s) in the inventory: {string.Join(", ", vfs.Select(v => $"{v.Id} {v.State}"))}");
                Assert.True(vfs[0].Id.Host == runsOn && vfs[0].State == VfioDeviceState.Running, $"{name}: {Vm1} is on {vfs[0].Id} in {vfs[0].State}, not RUNNING on {runsOn}");
                var left = view.Inventory.FindHost(gone)!.Pfs.SelectMany(p => p.Vfs).Where(v => v.Workload == Vm1 || v.Workload is null).ToList();
                Assert.True(left.Count == 0, $"{name}: {gone} still shows {string.Join(", ", left.Select(v => $"{v.Id} {v.State} {v.Workload}"))}");
            }
        }

        public ValueTask DisposeAsync() => Cluster.DisposeAsync();

        private TaskCompletionSource<MigrationView> Watch(MigrationId id) =>
            _terminal.GetOrAdd(id, _ => new TaskCompletionSource<MigrationView>(TaskCreationOptions.RunContinuationsAsynchronously));

        private void OnMigrationChanged(MigrationView view)
        {
            if (view.IsTerminal)
            {
                Watch(view.Id).TrySetResult(view);
            }
        }
    }
}
