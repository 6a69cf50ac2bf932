using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

public class EvacuationTests
{
    private static readonly MigrationId Manual = MigrationId.Parse("m-manual-vm-1");

    [Fact]
    public async Task Evacuating_a_host_cordons_it_and_moves_every_workload_off_it()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"]);
        var hostA = HostId.Parse("host-a");

        // Dry run: both workloads have a target (host-b; host-c's firmware differs), nothing is reserved or cordoned.
        var plan = (await node.Client.PlanEvacuationAsync(hostA)).Value!;
        Assert.Equal(["vm-1", "vm-2"], plan.Select(p => p.Workload.ToString()));
        Assert.All(plan, p => Assert.True(p.Target == HostId.Parse("host-b"), p.Reason));
        Assert.False((await node.Client.GetInventoryAsync()).Inventory.FindHost(hostA)!.Cordoned);

        var started = await node.Client.StartEvacuationAsync("e-drain-a", hostA);
        Assert.True(started.IsOk, started.Error?.Message);
        Assert.Equal(2, started.Value!.Workloads.Count);

        var view = await WaitForEvacuationCompletedAsync(node, "e-drain-a", TimeSpan.FromSeconds(60));
        Assert.Equal(2, view.Completed);
        Assert.Equal(0, view.RolledBack);
        Assert.Empty(cluster.Driver("host-a", "0000:3b:00.0").ListVfs());
        Assert.Equal(3, cluster.Driver("host-b", "0000:3b:00.0").ListVfs().Count);
        Assert.True((await node.Client.GetInventoryAsync()).Inventory.FindHost(hostA)!.Cordoned);

        // The same job id again answers the job; an unknown one is 404.
        Assert.Equal("Completed", (await node.Client.StartEvacuationAsync("e-drain-a", hostA)).Value!.State);
        Assert.Equal(Orchestrator.Cluster.Hosting.ClientErrorKind.NotFound, (await node.Client.GetEvacuationAsync("e-nope")).Error!.Kind);
        Assert.True(cluster.CheckHistory().IsSuccess, cluster.CheckHistory().ToText());
    }

    [Fact]
    public async Task A_poll_never_takes_a_start_still_on_its_way_for_lost_and_starts_it_again()
    {
        // Bench, 2026-12-06: when an evacuation's 64 starts took longer than one poll interval (250 ms), each poll found
        // their migrations unknown, took the starts for lost and started all 64 again, on top of the load that made
        // them slow. Here the job polls every millisecond, so every start is still on its way at some poll.
        var starts = new ConcurrentDictionary<string, int>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MigrationTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.OperationName == "migration.start" && a.GetTagItem(MigrationTracing.MigrationAttribute) is string id)
                {
                    starts.AddOrUpdate(id, 1, (_, n) => n + 1);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], TestCluster.DefaultOptions with { EvacuationPollInterval = TimeSpan.FromMilliseconds(1) });

        var started = await node.Client.StartEvacuationAsync("e-poll-often", HostId.Parse("host-a"));
        Assert.True(started.IsOk, started.Error?.Message);
        var view = await WaitForEvacuationCompletedAsync(node, "e-poll-often", TimeSpan.FromSeconds(60));
        Assert.Equal(2, view.Completed);
        Assert.All(view.Workloads, w => Assert.Equal(1, starts.GetValueOrDefault(w.Migration.ToString())));
    }

    [Fact]
    public async Task An_evacuation_waits_for_a_manual_migration_of_a_workload_and_counts_it_as_moved()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var (node, hang) = await StartManualMigrationOfVm1Async(cluster);
        var hostA = HostId.Parse("host-a");

        // The evacuation's own migration of vm-1 is refused (one migration per workload): it waits, it does not give up.
        var started = await node.Client.StartEvacuationAsync("e-overlap", hostA);
        Assert.True(started.IsOk, started.Error?.Message);
        await Eventually.AssertAsync(async () =>
        {
            var waiting = (await node.Client.GetEvacuationAsync("e-overlap")).Value!;
            Assert.Equal("WaitingForWorkload", waiting.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-1")).State);
        });

        hang.Release();
        await cluster.WaitForCompletedAsync(Manual, TimeSpan.FromSeconds(30));
        var view = await WaitForEvacuationCompletedAsync(node, "e-overlap", TimeSpan.FromSeconds(60));
        Assert.Equal("Moved", view.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-1")).State);
        Assert.Equal("Completed", view.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-2")).State);
        Assert.Empty(cluster.Driver("host-a", "0000:3b:00.0").ListVfs());
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public async Task A_cancel_withdraws_the_migrations_it_cannot_find_so_that_a_late_start_never_runs()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var (node, hang) = await StartManualMigrationOfVm1Async(cluster);
        var vm1 = WorkloadId.Parse("vm-1");

        // vm-1's migration in the job does not exist: the manual one holds the workload. Then the job is cancelled.
        Assert.True((await node.Client.StartEvacuationAsync("e-withdraw", HostId.Parse("host-a"))).IsOk);
        await Eventually.AssertAsync(async () =>
            Assert.Equal("WaitingForWorkload", (await node.Client.GetEvacuationAsync("e-withdraw")).Value!.Workloads.Single(w => w.Workload == vm1).State));
        Assert.True((await node.Client.CancelEvacuationAsync("e-withdraw", "operator changed their mind")).IsOk);

        // Counted Cancelled only once its id is withdrawn: the coordinator holds a tombstone, and a start of that id
        // that was still on its way (its answer timed out) is refused when it arrives.
        await Eventually.AssertAsync(async () =>
        {
            var view = (await node.Client.GetEvacuationAsync("e-withdraw")).Value!;
            var item = view.Workloads.Single(w => w.Workload == vm1);
            Assert.True(item.State == "Cancelled", $"{view.State}: {string.Join("; ", view.Workloads.Select(w => $"{w.Workload} {w.Migration} {w.State} {w.Reason}"))}");
        },
        TimeSpan.FromSeconds(30));
        var own = EvacuationJob.MigrationFor("e-withdraw", vm1);
        var withdrawn = (await node.Client.GetMigrationAsync(own)).Value!;
        Assert.Equal((MigrationPhase.RolledBack, "Aborted"), (withdrawn.State, withdrawn.Code));
        Assert.Contains("operator changed their mind", withdrawn.Reason, StringComparison.Ordinal);
        hang.Release();
        await cluster.WaitForCompletedAsync(Manual, TimeSpan.FromSeconds(30));
        var late = await node.Client.StartMigrationAsync(own, vm1, HostId.Parse("host-c"));
        Assert.Equal(RejectedCodes.Withdrawn, late.Error?.Code);
        Assert.Equal(MigrationPhase.RolledBack, (await node.Client.GetMigrationAsync(own)).Value!.State);

        await Eventually.AssertAsync(
            async () => Assert.Equal("Cancelled", (await node.Client.GetEvacuationAsync("e-withdraw")).Value!.State),
            TimeSpan.FromSeconds(60));
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    /// <summary>One node of three hosts, and migration <see cref="Manual"/> of vm-1 to host-b held at its CreateVf.</summary>
    [Fact]
    public async Task A_workload_that_lands_on_the_host_after_the_plan_is_moved_off_too_before_the_job_ends()
    {
        // vm-1 is on its way to host-b (placed, its target VF not created yet) when host-b's evacuation plans: the
        // plan cannot name it. The job must not end Completed while vm-1 then runs on host-b (an operator would
        // power off a host with a workload on it): it waits for the inbound migration and moves vm-1 off as well.
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var (node, hang) = await StartManualMigrationOfVm1Async(cluster);
        var hostB = HostId.Parse("host-b");

        var started = await node.Client.StartEvacuationAsync("e-late", hostB);
        Assert.True(started.IsOk, started.Error?.Message);
        Assert.Empty(started.Value!.Workloads);

        hang.Release();
        await cluster.WaitForCompletedAsync(Manual, TimeSpan.FromSeconds(30));
        var view = await WaitForEvacuationCompletedAsync(node, "e-late", TimeSpan.FromSeconds(90));
        Assert.Equal("Completed", view.Workloads.Single(w => w.Workload == WorkloadId.Parse("vm-1")).State);
        Assert.Empty(cluster.Driver("host-b", "0000:3b:00.0").ListVfs());
        Assert.Null((await node.Client.GetInventoryAsync()).Inventory.FindHost(hostB)!.Pfs.SelectMany(p => p.Vfs).FirstOrDefault(v => v.Workload is not null));
        var report = cluster.CheckHistory();
        Assert.True(report.IsSuccess, report.ToText());
    }

    private static async Task<(TestNode Node, Devices.Simulation.HungCommand Hang)> StartManualMigrationOfVm1Async(TestCluster cluster)
    {
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b", "host-c"], TestCluster.DefaultOptions with { StepTimeout = TimeSpan.FromMinutes(2) });
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(Devices.Simulation.DeviceCommand.CreateVf, 1);
        Assert.True((await node.Client.StartMigrationAsync(Manual, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        return (node, hang);
    }

    /// <summary>Waits until evacuation <paramref name="id"/> ends Completed (the job answers its own state), naming each workload's state otherwise.</summary>
    private static async Task<EvacuationView> WaitForEvacuationCompletedAsync(TestNode node, string id, TimeSpan timeout)
    {
        EvacuationView? view = null;
        await Eventually.AssertAsync(
            async () =>
            {
                view = (await node.Client.GetEvacuationAsync(id)).Value!;
                Assert.True(view.State == "Completed", $"{view.State}: {string.Join("; ", view.Workloads.Select(w => $"{w.Workload} {w.State} {w.Reason}"))}");
            },
            timeout);
        return view!;
    }
}
