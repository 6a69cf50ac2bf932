using Akka.Actor;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// A VF is destroyed only by the migration that created it or by an explicit forced delete (invariant 6): the PF side.
/// </summary>
public class VfOwnershipTests
{
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly PfId Pf = PfId.Of(HostId.Parse("host-b"), "0000:3b:00.0");
    private static readonly VfId Source = PfId.Of(HostId.Parse("host-a"), "0000:3b:00.0").Vf(0);
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_prepare_that_meets_an_operator_vf_fails_and_destroys_only_the_vf_it_created()
    {
        var driver = NewDriver();
        driver.AddExistingVf(VfKind.Kernel, TestProfiles.EthSmall, 1); // the operator's, at an index the migration wants
        await using var pfs = new PfActors(driver);
        var pf = pfs.Start(new Dictionary<int, WorkloadId>());
        var ticket = new MigrationTicket(MigrationId.Parse("m-operator-vf"), Epoch.Of(1));

        var prepared = await pf.Ask<IPfStepReply>(new PrepareTargetCommand(ticket, [Spec(1), Spec(3)]), Ask);
        var failed = Assert.IsType<StepFailedReply>(prepared);
        Assert.Contains("EBUSY", failed.Reason, StringComparison.Ordinal);
        var left = Assert.Single(driver.ListVfs());
        Assert.Equal((1, VfKind.Kernel, VfioDeviceState.Running), (left.Index, left.Kind, left.State));

        // The rollback destroys nothing more: index 1 was never this migration's.
        Assert.IsType<DestroyTargetReply>(await pf.Ask<IPfStepReply>(new DestroyTargetCommand(ticket, [Pf.Vf(1), Pf.Vf(3)], Vm1), Ask));
        Assert.Equal([1], driver.ListVfs().Select(v => v.Index));
        var status = await pf.Ask<PfReport>(GetPfStatus.Instance, Ask);
        Assert.Null(Assert.Single(status.Inventory.Vfs).Workload);
    }

    [Fact]
    public async Task Destroy_target_after_a_pf_actor_restart_destroys_only_what_is_evidently_the_migrations_target()
    {
        var driver = NewDriver();
        await using var pfs = new PfActors(driver);
        var ticket = new MigrationTicket(MigrationId.Parse("m-restarted"), Epoch.Of(1));
        var first = pfs.Start(new Dictionary<int, WorkloadId>());
        Assert.IsType<PrepareTargetReply>(await first.Ask<IPfStepReply>(new PrepareTargetCommand(ticket, [Spec(1)]), Ask));
        await pfs.StopAsync(first);

        // While the PF actor was down: the operator made VFs at the other indices the coordinator will name, one of
        // them for the workload itself (RUNNING: it may be the workload's copy), one for nobody.
        driver.AddExistingVf(VfKind.Vfio, TestProfiles.EthSmall, 2);
        driver.AddExistingVf(VfKind.Vfio, TestProfiles.EthSmall, 4);
        var second = pfs.Start(new Dictionary<int, WorkloadId> { [1] = Vm1, [2] = Vm1 });

        var destroyed = await second.Ask<IPfStepReply>(new DestroyTargetCommand(ticket with { Epoch = Epoch.Of(2) }, [Pf.Vf(1), Pf.Vf(2), Pf.Vf(4)], Vm1), Ask);
        Assert.IsType<DestroyTargetReply>(destroyed);
        Assert.Equal([2, 4], driver.ListVfs().Select(v => v.Index).Order());
        Assert.All(driver.ListVfs(), v => Assert.Equal(VfioDeviceState.Running, v.State));
    }

    [Fact]
    public async Task A_vf_is_held_from_the_first_command_that_names_it_even_while_it_waits_for_a_slot()
    {
        var driver = NewDriver(maxConcurrentMigrations: 1);
        driver.AddExistingVf(VfKind.Vfio, TestProfiles.EthSmall, 0);
        await using var pfs = new PfActors(driver);
        var pf = pfs.Start(new Dictionary<int, WorkloadId> { [0] = Vm1 });

        // Another migration's target takes the only slot; this migration's pre-copy of VF 0 queues behind it.
        var other = new MigrationTicket(MigrationId.Parse("m-slot-holder"), Epoch.Of(1));
        Assert.IsType<PrepareTargetReply>(await pf.Ask<IPfStepReply>(new PrepareTargetCommand(other, [Spec(5, WorkloadId.Parse("vm-9"))]), Ask));
        var ticket = new MigrationTicket(MigrationId.Parse("m-queued"), Epoch.Of(1));
        var offer = new TargetVfOffer(Pf.Vf(0), Source, new StateTransferOffer("127.0.0.1", 1, "token", "m-queued", 1));
        Assert.IsType<StepQueuedReply>(await pf.Ask<IPfStepReply>(new StartPreCopyCommand(ticket, [offer], 0), Ask));

        var refused = Assert.IsType<VfCommandFailed>(await pf.Ask<object>(new DestroyVf(Pf.Vf(0), Force: true), Ask));
        Assert.True(refused.IsConflict);
        Assert.Contains("m-queued", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(driver.ListVfs(), v => v.Index == 0);

        // Nor does a create without an index take a held index: 0 (queued source) and 5 (target) are skipped, 1 is
        // avoided (reserved for a target not prepared yet).
        var created = Assert.IsType<CreateVfReply>(await pf.Ask<object>(new CreateVf(VfKind.Kernel, TestProfiles.EthSmall, null, AvoidIndices: [1]), Ask));
        Assert.Equal(2, created.Vf.Index);
        var taken = Assert.IsType<VfCommandFailed>(await pf.Ask<object>(new CreateVf(VfKind.Kernel, TestProfiles.EthSmall, null, Index: 5), Ask));
        Assert.True(taken.IsConflict);

        // An index picked for the caller (no requested index) where an alike VF exists is not that VF: a conflict. The
        // same index asked for by the caller is the same VF again.
        var stalePick = Assert.IsType<VfCommandFailed>(await pf.Ask<object>(new CreateVf(VfKind.Kernel, TestProfiles.EthSmall, null, Index: 2), Ask));
        Assert.True(stalePick.IsConflict);
        Assert.Contains("picked", stalePick.Reason, StringComparison.Ordinal);
        Assert.Equal(created.Vf, Assert.IsType<CreateVfReply>(await pf.Ask<object>(new CreateVf(VfKind.Kernel, TestProfiles.EthSmall, null, Index: 2, RequestedIndex: 2), Ask)).Vf);
    }

    [Fact]
    public async Task A_vf_serving_a_workload_is_destroyed_only_when_forced()
    {
        var driver = NewDriver();
        driver.AddExistingVf(VfKind.Vfio, TestProfiles.EthSmall, 0);
        await using var pfs = new PfActors(driver);
        var pf = pfs.Start(new Dictionary<int, WorkloadId> { [0] = Vm1 });

        var refused = Assert.IsType<VfCommandFailed>(await pf.Ask<object>(new DestroyVf(Pf.Vf(0)), Ask));
        Assert.True(refused.IsConflict);
        Assert.Contains("vm-1", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(Pf.Vf(0).ToString(), refused.Reason, StringComparison.Ordinal);
        Assert.Single(driver.ListVfs());

        Assert.IsType<DestroyVfReply>(await pf.Ask<object>(new DestroyVf(Pf.Vf(0), Force: true), Ask));
        Assert.Empty(driver.ListVfs());
    }

    [Fact]
    public async Task An_operator_vf_at_the_target_index_survives_and_the_migration_rolls_back()
    {
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        var node = await cluster.StartNodeWithHostsAsync("node-1", ["host-a", "host-b"]);
        var target = cluster.Driver("host-b", "0000:3b:00.0");
        var source = cluster.Driver("host-a", "0000:3b:00.0");

        // The target's create waits; meanwhile a VF appears at the index placement chose (made behind the PF's back,
        // as an operator with sysfs would).
        var hang = target.Faults.HangCommand(DeviceCommand.CreateVf, 1);
        var id = MigrationId.Parse("m-operator-vf");
        Assert.True((await node.Client.StartMigrationAsync(id, Vm1, HostId.Parse("host-b"))).IsOk);
        await hang.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var chosen = (await node.Client.GetMigrationAsync(id)).Value!.Vfs.Single().Target.Index;
        target.AddExistingVf(VfKind.Kernel, TestProfiles.EthSmall, chosen);
        hang.Release();

        var end = await cluster.WaitForEndAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(MigrationPhase.RolledBack, end.State);
        var survivor = Assert.Single(target.ListVfs());
        Assert.Equal((chosen, VfKind.Kernel, VfioDeviceState.Running), (survivor.Index, survivor.Kind, survivor.State));
        Assert.Single(source.ListVfs(), v => v.Index == 0 && v.State == VfioDeviceState.Running);
        Assert.Equal(0, target.ActiveMigrations);
    }

    [Fact]
    public async Task The_changed_remote_messages_round_trip_through_hyperion_with_their_new_fields()
    {
        var system = ActorSystem.Create("vf-ownership-serialization", """
            akka.actor.serializers.hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
            akka.actor.serialization-bindings { "Orchestrator.Cluster.IOrchestratorMessage, Orchestrator.Cluster" = hyperion }
            """);
        try
        {
            T RoundTrip<T>(T message)
                where T : notnull
            {
                var serializer = system.Serialization.FindSerializerFor(message);
                Assert.Equal("HyperionSerializer", serializer.GetType().Name);
                return Assert.IsType<T>(serializer.FromBinary<T>(serializer.ToBinary(message)));
            }

            Assert.Equal(new DestroyVf(Pf.Vf(3), Force: true), RoundTrip(new DestroyVf(Pf.Vf(3), Force: true)));
            var create = RoundTrip(new CreateVf(VfKind.Vfio, TestProfiles.EthSmall, Vm1, AvoidIndices: [1, 4]));
            Assert.Equal((VfKind.Vfio, TestProfiles.EthSmall, Vm1, (int?)null), (create.Kind, create.Profile, create.Workload, create.Index));
            Assert.Equal([1, 4], create.AvoidIndices!);
            var destroy = RoundTrip(new DestroyTargetCommand(new MigrationTicket(MigrationId.Parse("m-ser"), Epoch.Of(3)), [Pf.Vf(1)], Vm1));
            Assert.Equal((new MigrationTicket(MigrationId.Parse("m-ser"), Epoch.Of(3)), Vm1), (destroy.Ticket, destroy.Workload));
            Assert.Equal([Pf.Vf(1)], destroy.Targets);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static SimulatedPfDriver NewDriver(int maxConcurrentMigrations = 4) =>
        new(DriverModels.Mlx5, new SimulatedPfConfig("0000:3b:00.0", "ConnectX-7", "28.41.1000") { LatencyScale = 0, MaxVfs = 8, MaxConcurrentMigrations = maxConcurrentMigrations });

    private static TargetVfSpec Spec(int index, WorkloadId? workload = null) => new(Source, Pf.Vf(index), VfKind.Vfio, TestProfiles.EthSmall, workload ?? Vm1);

    /// <summary>PF actors on one driver in a private ActorSystem; a second one after the first stopped is its restart.</summary>
    private sealed class PfActors(SimulatedPfDriver driver) : IAsyncDisposable
    {
        private readonly ActorSystem _system = ActorSystem.Create("vf-ownership");
        private int _started;

        public IActorRef Start(Dictionary<int, WorkloadId> labels) =>
            _system.ActorOf(PfActor.Props(Pf, driver, labels, new PfActorSettings(), new RecordingObserver()), $"pf-{++_started}");

        public Task StopAsync(IActorRef pf) => pf.GracefulStop(Ask);

        public async ValueTask DisposeAsync() => await _system.Terminate();
    }
}
