using Akka.Actor;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Tests.Migrations;

public class LimitsAndFencingTests
{
    private static readonly string FourWorkloads = TestTopologies.OneSource(workloads: 4, targets: 1, slots: 1);

    [Fact]
    public async Task Per_pf_limit_of_one_queues_migrations_and_all_complete_one_at_a_time()
    {
        await using var cluster = TestCluster.Create(FourWorkloads);
        var observer = new RecordingObserver();
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], TestCluster.DefaultOptions with { Observer = observer });

        var ids = Enumerable.Range(1, 4).Select(i => MigrationId.Parse($"m-limit-{i}")).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            var started = await node.Client.StartMigrationAsync(ids[i], WorkloadId.Parse($"vm-{i + 1}"), HostId.Parse("host-b"));
            Assert.True(started.IsOk, $"{ids[i]}: {started.Error?.Kind} {started.Error?.Code} {started.Error?.Message}"); // CI stop 15 failed here unexplained
        }

        foreach (var id in ids)
        {
            await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(60));
        }

        // Never more than one migration held a slot on either PF, and every slot was given back.
        Assert.Equal(1, observer.MaxConcurrentSlots);
        Assert.Equal(0, observer.SlotsHeld);
        Assert.Equal(4, cluster.Driver("host-b", "0000:3b:00.0").ListVfs().Count);
    }

    [Fact]
    public async Task Per_host_limit_queues_in_the_placement_authority()
    {
        await using var cluster = TestCluster.Create(FourWorkloads.Replace("maxConcurrentMigrations: 1", "maxConcurrentMigrations: 4", StringComparison.Ordinal));
        var observer = new RecordingObserver();
        var limits = ConcurrencyLimits.Default with { PerHostOutbound = 1, PerHostInbound = 1 };
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"], TestCluster.DefaultOptions with { Observer = observer, Limits = limits });

        var ids = Enumerable.Range(1, 3).Select(i => MigrationId.Parse($"m-host-{i}")).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            var started = await node.Client.StartMigrationAsync(ids[i], WorkloadId.Parse($"vm-{i + 1}"), HostId.Parse("host-b"));
            Assert.True(started.IsOk, $"{ids[i]}: {started.Error?.Kind} {started.Error?.Code} {started.Error?.Message}");
        }

        foreach (var id in ids)
        {
            await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(60));
        }

        Assert.Equal(1, observer.MaxConcurrentSlots);
    }

    [Fact]
    public async Task A_command_from_an_older_epoch_is_fenced_and_never_touches_the_device()
    {
        var driver = new SimulatedPfDriver(DriverModels.Mlx5, new SimulatedPfConfig("0000:3b:00.0", "ConnectX-7", "28.41.1000") { LatencyScale = 0 });
        await driver.CreateVfAsync(VfKind.Vfio, TestProfiles.EthSmall, 0);
        var system = ActorSystem.Create("fencing");
        try
        {
            var observer = new RecordingObserver();
            var pfId = PfId.Of(HostId.Parse("host-a"), "0000:3b:00.0");
            // No host above this PF to write the directory: it answers directory-changing steps after its own timeout.
            var settings = new PfActorSettings { DirectoryWriteTimeout = TimeSpan.FromMilliseconds(50) };
            var pf = system.ActorOf(PfActor.Props(pfId, driver, new Dictionary<int, WorkloadId> { [0] = WorkloadId.Parse("vm-1") }, settings, observer));
            var migration = MigrationId.Parse("m-fence");
            var vf = pfId.Vf(0);

            // Epoch 2 quiesces the source: the PF now knows epoch 2.
            var quiesced = await pf.Ask<IPfStepReply>(new QuiesceSourcesCommand(new MigrationTicket(migration, Epoch.Of(2))), TimeSpan.FromSeconds(10));
            Assert.IsType<QuiesceSourcesReply>(quiesced);
            var before = driver.GetDeviceState(0);

            // A stale incarnation (epoch 1) asks to release the source: refused, device untouched.
            var stale = await pf.Ask<IPfStepReply>(new ReleaseSourceCommand(new MigrationTicket(migration, Epoch.Of(1)), [vf]), TimeSpan.FromSeconds(10));
            var fenced = Assert.IsType<StepFencedReply>(stale);
            Assert.Equal(Epoch.Of(2), fenced.CurrentEpoch);
            Assert.Equal(before, driver.GetDeviceState(0));
            Assert.Single(driver.ListVfs());
            Assert.Single(observer.Fenced);

            // The same command twice in the current epoch answers the same reply (idempotent) without a second effect.
            var first = await pf.Ask<IPfStepReply>(new ResumeSourceCommand(new MigrationTicket(migration, Epoch.Of(2)), [vf]), TimeSpan.FromSeconds(10));
            var second = await pf.Ask<IPfStepReply>(new ResumeSourceCommand(new MigrationTicket(migration, Epoch.Of(2)), [vf]), TimeSpan.FromSeconds(10));
            Assert.IsType<ResumeSourceReply>(first);
            Assert.Same(first, second);
            Assert.Equal(VfioDeviceState.Running, driver.GetDeviceState(0));
        }
        finally
        {
            await system.Terminate();
        }
    }
}

/// <summary>Records device facts from PF actors (thread-safe: several PF actors report concurrently).</summary>
internal sealed class RecordingObserver : IDeviceObserver
{
    private readonly object _gate = new();
    private readonly HashSet<(PfId, MigrationId)> _slots = [];

    public int MaxConcurrentSlots { get; private set; }

    public int SlotsHeld
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    public List<(PfId Pf, MigrationTicket Ticket)> Fenced { get; } = [];

    public List<(VfId Vf, VfioDeviceState? From, VfioDeviceState To, MigrationTicket? Cause)> States { get; } = [];

    public void SlotChanged(PfId pf, MigrationId migration, bool acquired)
    {
        lock (_gate)
        {
            if (acquired)
            {
                _slots.Add((pf, migration));
            }
            else
            {
                _slots.Remove((pf, migration));
            }

            MaxConcurrentSlots = Math.Max(MaxConcurrentSlots, _slots.Where(s => s.Item1 == pf).Count());
        }
    }

    public void CommandFenced(PfId pf, MigrationTicket ticket, string step, Epoch current)
    {
        lock (_gate)
        {
            Fenced.Add((pf, ticket));
        }
    }

    public void VfStateChanged(VfId vf, WorkloadId? workload, VfioDeviceState? from, VfioDeviceState to, MigrationTicket? cause)
    {
        lock (_gate)
        {
            States.Add((vf, from, to, cause));
        }
    }

    public void VfCreated(VfId vf, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state, MigrationTicket? cause)
    {
    }

    public void VfDestroyed(VfId vf, WorkloadId? workload, MigrationTicket? cause)
    {
    }

    public void StateSaved(MigrationTicket ticket, VfChecksum checksum)
    {
    }

    public void StateLoaded(MigrationTicket ticket, VfChecksum checksum)
    {
    }
}
