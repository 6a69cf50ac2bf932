using Orchestrator.Cluster.Hosting;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Issue 14 point 6: the database under the journal stops and starts again (a PostgreSQL server of the test's own)
/// while the persistent actors write: coordinators (checkpoints), the placement authority (claims and releases), host
/// journals (labels and cordons), evacuation jobs. Each comes back with backoff, every migration ends, and what was
/// written during the outage is not lost.
/// </summary>
public class JournalOutageTests
{
    private static readonly string Topology = TestTopologies.OneSource(workloads: 2, targets: 2, slots: 4);

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);
    private static readonly HostId HostA = HostId.Parse("host-a");
    private static readonly HostId HostB = HostId.Parse("host-b");
    private static readonly HostId HostC = HostId.Parse("host-c");

    [PostgresServerFact]
    public async Task Migrations_placement_labels_and_cordons_survive_the_database_stopping_and_starting()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var cluster = TestCluster.Create(Topology, PersistenceProvider.PostgreSql, database.ConnectionString);
        var node1 = await StartNodesAsync(cluster);

        // m-1 holds after Committed: its last steps (target resume, labels, source release, claim release, terminal
        // checkpoint) all run while the database is down.
        var hang = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.Resume, 1);
        var m1 = MigrationId.Parse("m-outage-1");
        Assert.True((await node1.Client.StartMigrationAsync(m1, WorkloadId.Parse("vm-1"), HostB)).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(60));

        var down = DateTimeOffset.UtcNow;
        await database.StopServerAsync();
        hang.Release();

        // A new request (placement claim) and a cordon (host journal) while the journal is down: either refused, or
        // accepted and then carried out; never lost once accepted.
        var m2 = MigrationId.Parse("m-outage-2");
        using var during = new CancellationTokenSource(Outage);
        var request = Catch(node1.Client.StartMigrationAsync(m2, WorkloadId.Parse("vm-2"), HostC, ct: during.Token));
        var cordon = Catch(node1.Client.CordonAsync(HostB, cordon: true, "outage test", during.Token));
        await Task.Delay(Outage); // the fault's length, not a wait for a condition
        await database.StartServerAsync();
        cluster.RecordFault("db", "postgresql", down, DateTimeOffset.UtcNow, "server stopped and started");
        var requestAnswer = await request;
        var cordonAnswer = await cordon;

        await cluster.WaitForCompletedAsync(m1, TimeSpan.FromSeconds(120));

        // The client retries what got no answer, with the same id: exactly one migration results.
        await Eventually.AssertAsync(
            async () => Assert.True(
                (await node1.Client.StartMigrationAsync(m2, WorkloadId.Parse("vm-2"), HostC)).IsOk,
                $"m-outage-2 not accepted after the outage; first answer: {requestAnswer}"),
            TimeSpan.FromSeconds(60));
        await cluster.WaitForCompletedAsync(m2, TimeSpan.FromSeconds(120));
        await Eventually.AssertAsync(
            async () => Assert.True(
                (await node1.Client.CordonAsync(HostB, cordon: true, "outage test")).Value?.Cordoned == true,
                $"host-b not cordoned after the outage; first answer: {cordonAnswer}"),
            TimeSpan.FromSeconds(60));

        // What the host journals wrote during and after the outage is durable: the node of host-b and host-c starts
        // again from its journal and shows vm-1 on host-b, vm-2 on host-c, host-b cordoned.
        await cluster["node-2"].CrashAsync();
        await cluster.StartNodeAsync("node-2b", ["host-b", "host-c"], Options);
        await Eventually.AssertAsync(
            async () =>
            {
                var inventory = (await node1.Client.GetInventoryAsync()).Inventory;
                var b = inventory.FindHost(HostB);
                var c = inventory.FindHost(HostC);
                Assert.Equal("node-2b", b?.NodeName);
                Assert.True(b!.Cordoned);
                Assert.Equal(["vm-1"], b.Pfs.SelectMany(p => p.Vfs).Select(v => v.Workload?.ToString()).OfType<string>());
                Assert.Equal(["vm-2"], c!.Pfs.SelectMany(p => p.Vfs).Select(v => v.Workload?.ToString()).OfType<string>());
                Assert.Empty(inventory.FindHost(HostA)!.Pfs.SelectMany(p => p.Vfs));
            },
            TimeSpan.FromSeconds(60));

        // The reconcilers came back too: they answer and find nothing to clean.
        foreach (var host in new[] { HostA, HostB })
        {
            var report = await node1.Client.ReconcileAsync(host, run: true);
            Assert.True(report.IsOk, report.Error?.Message);
        }

        var check = cluster.CheckHistory();
        Assert.True(check.IsSuccess, check.ToText());
    }

    [PostgresServerFact]
    public async Task An_evacuation_ends_after_the_database_stops_and_starts_while_it_runs()
    {
        await using var database = await PrivatePostgres.StartAsync();
        await using var cluster = TestCluster.Create(Topology, PersistenceProvider.PostgreSql, database.ConnectionString);
        var node1 = await StartNodesAsync(cluster);

        // Both of the evacuation's migrations hold after Committed, so the job records their ends during the outage.
        var hangB = cluster.Driver("host-b", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.Resume, 1);
        var hangC = cluster.Driver("host-c", "0000:3b:00.0").Faults.HangCommand(DeviceCommand.Resume, 1);
        var started = await node1.Client.StartEvacuationAsync("e-outage", HostA);
        Assert.True(started.IsOk, started.Error?.Message);
        await Task.WhenAny(hangB.Reached, hangC.Reached).WaitAsync(TimeSpan.FromSeconds(60));

        var down = DateTimeOffset.UtcNow;
        await database.StopServerAsync();
        hangB.Release();
        hangC.Release();
        await Task.Delay(Outage); // the fault's length
        await database.StartServerAsync();
        cluster.RecordFault("db", "postgresql", down, DateTimeOffset.UtcNow, "server stopped and started");

        await Eventually.AssertAsync(
            async () =>
            {
                // Every migration of the job ended. One that had not committed when the database stopped may rightly
                // roll back (its coordinator recovers before Committed); the checker below says each workload runs on
                // exactly one host.
                var view = (await node1.Client.GetEvacuationAsync("e-outage")).Value;
                Assert.Equal("Completed", view?.State);
                Assert.Equal((2, 0, 0), (view!.Completed + view.RolledBack, view.Pending, view.Failed));
                Assert.True(view.Completed >= 1, "the migration that held after Committed must complete");
            },
            TimeSpan.FromSeconds(120));
        var check = cluster.CheckHistory();
        Assert.True(check.IsSuccess, check.ToText());
    }

    private static RuntimeOptions Options => TestCluster.DefaultOptions with { StepTimeout = TimeSpan.FromSeconds(60) };

    /// <summary>host-a on node-1, host-b and host-c on node-2; returns node-1.</summary>
    private static async Task<TestNode> StartNodesAsync(TestCluster cluster)
    {
        var node1 = await cluster.StartNodeAsync("node-1", ["host-a"], Options);
        await cluster.StartNodeAsync("node-2", ["host-b", "host-c"], Options);
        await node1.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(30));
        return node1;
    }

    private static async Task<string> Catch<T>(Task<T> call)
    {
        try
        {
            return $"{await call}";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
