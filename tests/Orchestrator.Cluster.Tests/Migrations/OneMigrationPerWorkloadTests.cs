using Akka.Actor;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// DESIGN.md §4, invariant 6: at most one migration per workload, whatever the node, id or timing of the requests,
/// and a VF that a migration holds is neither destroyed nor taken by an operator's request.
/// </summary>
public class OneMigrationPerWorkloadTests
{
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly HostId HostB = HostId.Parse("host-b");

    [Fact]
    public async Task Twelve_simultaneous_requests_through_three_nodes_start_exactly_one_migration()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var options = TestCluster.DefaultOptions with { StepTimeout = TimeSpan.FromMinutes(3) }; // the hang below is no failure
        await cluster.StartNodeAsync("node-1", ["host-a"], options);
        await cluster.StartNodeAsync("node-2", ["host-b"], options);
        await cluster.StartNodeAsync("node-3", ["host-c"], options);
        foreach (var node in cluster.Nodes)
        {
            await node.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(15));
        }

        // The accepted migration stays in flight until every answer is in (its target VF's creation hangs): a request that
        // arrives after it ended may rightly start the next migration of the workload.
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.CreateVf, 1);
        var hangC = cluster.Driver("host-c", "0000:5e:00.0").Faults.HangCommand(DeviceCommand.CreateVf, 1);

        // A scheduler retrying after timeouts, or two schedulers: other ids (other Idempotency-Keys), every node, at once.
        var requests = Enumerable.Range(0, 12)
            .Select(i => (Id: MigrationId.Parse($"m-dup-{i:00}"), Node: cluster.Nodes[i % 3]))
            .ToList();
        var answers = await Task.WhenAll(requests.Select(r => StartAsync(r.Node.Client, r.Id, TargetOf(r.Id))));

        var accepted = answers.Where(a => a.IsOk).Select(a => a.Value!).ToList();
        var started = Assert.Single(accepted);
        Assert.All(answers.Where(a => !a.IsOk), a =>
        {
            Assert.Equal(ClientErrorKind.Conflict, a.Error!.Kind);
            Assert.Equal(RejectedCodes.WorkloadBusy, a.Error.Code);
            Assert.Contains(started.Id.ToString(), a.Error.Message, StringComparison.Ordinal);
        });

        hang.Release();
        hangC.Release();
        await cluster.WaitForCompletedAsync(started.Id, TimeSpan.FromSeconds(30));
        foreach (var (id, _) in requests.Where(r => r.Id != started.Id))
        {
            // Refused requests left nothing behind: no coordinator holds a request for them.
            Assert.Equal(ClientErrorKind.NotFound, (await cluster.Nodes[0].Client.GetMigrationAsync(id)).Error?.Kind);
        }

        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
        return;

        static HostId? TargetOf(MigrationId id) => id.ToString().EndsWith('1') ? null : HostB;
    }

    /// <summary>As a scheduler does: "unavailable" (nothing was started) is asked again, with the same id.</summary>
    private static async Task<Result<MigrationView>> StartAsync(OrchestratorClient client, MigrationId id, HostId? target)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await client.StartMigrationAsync(id, Vm1, target);
            if (answer.Error?.Kind != ClientErrorKind.Unavailable || attempt == 5)
            {
                return answer;
            }
        }
    }

    [Fact]
    public async Task The_same_start_sent_again_while_its_claim_is_asked_answers_the_migration_not_unknown()
    {
        // A client's retry, or an evacuation job restarting a start it lost track of, arrives while the first start
        // waits for the placement authority: both must get the requested migration, never "does not exist".
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        for (var i = 0; i < 3; i++)
        {
            var id = MigrationId.Parse($"m-same-start-{i}");
            var workload = WorkloadId.Parse(i % 2 == 0 ? "vm-1" : "vm-2");
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => node.Client.StartMigrationAsync(id, workload, null)));
            Assert.All(answers, a => Assert.True(a.IsOk, a.Error?.Message));
            Assert.All(answers, a => Assert.Equal(id, a.Value!.Id));
            await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_request_read_before_the_previous_migration_completed_is_refused_not_started_on_the_old_source()
    {
        // CI, stop 15: a duplicate read vm-crypto's VFs on host-b while the migration moving it to host-a ended; its
        // claim was granted after the release, it was accepted naming host-b, and rolled back "on host-b" where the
        // workload no longer ran (checker: invariant 1). Here the stale request is sent straight to a coordinator.
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var oldSources = (await node.Client.GetInventoryAsync()).Inventory.VfsOf(Vm1).Select(v => v.Id).ToList();
        var first = MigrationId.Parse("m-moves-it");
        Assert.True((await node.Client.StartMigrationAsync(first, Vm1, HostB)).IsOk);
        await cluster.WaitForCompletedAsync(first, TimeSpan.FromSeconds(30));

        var stale = MigrationId.Parse("m-stale-read");
        var answer = await node.Runtime.Migrations.Ask<object>(
            new MigrationEnvelope(stale, new CoordinatorProtocol.StartMigration(new Domain.Migrations.MigrationCommands.RequestMigration(stale, Vm1, oldSources))),
            TimeSpan.FromSeconds(20));

        var rejected = Assert.IsType<CoordinatorProtocol.Rejected>(answer);
        Assert.Equal(RejectedCodes.SourceMoved, rejected.Code);
        Assert.Contains(first.ToString(), rejected.Reason, StringComparison.Ordinal);

        // The client reads the inventory again: the same id starts from host-b, where vm-1 runs now.
        var retried = await node.Client.StartMigrationAsync(stale, Vm1, HostId.Parse("host-a"));
        Assert.True(retried.IsOk, retried.Error?.Message);
        Assert.Equal(HostB, retried.Value!.Source);
        await cluster.WaitForCompletedAsync(stale, TimeSpan.FromSeconds(30));

        // Back on host-a, maybe on the very VF that departed seconds ago: a fresh request from there is not stale.
        var back = MigrationId.Parse("m-ping-pong");
        var again = await node.Client.StartMigrationAsync(back, Vm1, HostB);
        Assert.True(again.IsOk, again.Error?.Message);
        await cluster.WaitForCompletedAsync(back, TimeSpan.FromSeconds(30));
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public async Task A_request_while_the_workload_has_vfs_on_two_hosts_is_WorkloadBusy_naming_the_migration()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        // Held after Committed: the workload's VFs exist on host-a and host-b.
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.Resume, 1);
        var id = MigrationId.Parse("m-two-hosts");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.AssertAsync(async () =>
            Assert.Equal(2, (await node.Client.GetInventoryAsync()).Inventory.VfsOf(Vm1).Select(v => v.Id.Host).Distinct().Count()));

        var second = await node.Client.StartMigrationAsync(MigrationId.Parse("m-two-hosts-2"), Vm1, null);
        Assert.Equal(ClientErrorKind.Conflict, second.Error?.Kind);
        Assert.Equal(RejectedCodes.WorkloadBusy, second.Error!.Code);
        Assert.Contains(id.ToString(), second.Error.Message, StringComparison.Ordinal);

        hang.Release();
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_source_vf_held_by_a_migration_cannot_be_deleted_and_the_migration_ends_normally()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var source = cluster.Driver("host-a", "0000:3b:00.0");
        // Holds the migration right after placement: the first device command on the target (create the target VF).
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.CreateVf, 1);
        var id = MigrationId.Parse("m-held-source");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        var vf = VfId.Parse("host-a/0000:3b:00.0/vf0");
        var delete = await node.Client.DestroyVfAsync(vf, force: true); // force never overrides a migration's hold
        Assert.False(delete.IsOk);
        Assert.Equal(ClientErrorKind.Conflict, delete.Error!.Kind);
        Assert.Contains(id.ToString(), delete.Error.Message, StringComparison.Ordinal);
        Assert.Contains(source.ListVfs(), v => v.Index == 0 && v.State == VfioDeviceState.Running);

        hang.Release();
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public async Task An_operator_never_gets_the_index_a_migration_reserved_as_its_target()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var targetDriver = cluster.Driver("host-b", "0000:3b:00.0");
        var hang = targetDriver.Faults.HangCommand(DeviceCommand.CreateVf, 1);
        var id = MigrationId.Parse("m-reserved-target");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var placed = (await node.Client.GetMigrationAsync(id)).Value!;
        var reserved = Assert.Single(placed.Vfs).Target;

        // By index: refused, naming the migration.
        var taken = await node.Client.CreateVfAsync(reserved.Pf, VfKind.Vfio, TestProfiles.EthSmall, null, reserved.Index);
        Assert.Equal(ClientErrorKind.Conflict, taken.Error?.Kind);
        Assert.Contains(id.ToString(), taken.Error!.Message, StringComparison.Ordinal);

        // Without an index: another one.
        var created = await node.Client.CreateVfAsync(reserved.Pf, VfKind.Vfio, TestProfiles.EthSmall, WorkloadId.Parse("vm-operator"));
        Assert.True(created.IsOk, created.Error?.Message);
        Assert.NotEqual(reserved.Index, created.Value!.Vf.Index);

        hang.Release();
        await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));
        Assert.Contains(targetDriver.ListVfs(), v => v.Index == created.Value.Vf.Index);
        Assert.Contains(targetDriver.ListVfs(), v => v.Index == reserved.Index && v.State == VfioDeviceState.Running);
    }
}
