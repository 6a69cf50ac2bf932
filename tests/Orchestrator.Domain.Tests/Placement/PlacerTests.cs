using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using static Orchestrator.Domain.Tests.Fixtures;

namespace Orchestrator.Domain.Tests.Placement;

public sealed class PlacerTests
{
    private static readonly PfId SourcePf = PfId.Parse("host-a/0000:3b:00.0");

    private static Inventory Build(int vfs, params HostInventory[] targets)
    {
        var source = new HostInventory(HostA, "node-1", false,
            [Pf(HostA, Cx7("0000:3b:00.0"), [.. Enumerable.Range(0, vfs).Select(i => Vf(SourcePf, i, Vm))])]);
        return new Inventory([source, .. targets]);
    }

    private static PlacementRequest Req(int vfs = 1, HostId? target = null) =>
        new(Vm, [.. Enumerable.Range(0, vfs).Select(SourcePf.Vf)], target);

    [Fact]
    public void Chooses_a_compatible_pf_and_the_lowest_free_index()
    {
        var b = new HostInventory(HostB, "node-2", false, [Pf(HostB, Cx7("0000:5e:00.0"), Vf(PfId.Parse("host-b/0000:5e:00.0"), 0))]);
        var result = Placer.Place(Req(), Build(1, b), ReservationLedger.Empty);
        Assert.True(result.IsPlaced, result.Explain());
        Assert.Equal(VfId.Parse("host-b/0000:5e:00.0/vf1"), result.Target!.Vfs[0].Target);
        Assert.Contains(result.Rejections, r => r.Code == PlacementRejectionReasonCode.SameHostAsSource);
    }

    [Fact]
    public void Names_every_rejection_with_both_firmware_versions()
    {
        var hosts = new[]
        {
            new HostInventory(HostId.Parse("h-cordoned"), "n", true, [Pf(HostId.Parse("h-cordoned"), Cx7("0000:01:00.0"))]),
            new HostInventory(HostId.Parse("h-fw"), "n", false, [Pf(HostId.Parse("h-fw"), Cx7("0000:01:00.0", firmware: "28.39.1002"))]),
            new HostInventory(HostId.Parse("h-type"), "n", false, [Pf(HostId.Parse("h-type"), Cx7("0000:01:00.0") with { DeviceType = "ConnectX-6 Dx" })]),
            new HostInventory(HostId.Parse("h-profile"), "n", false, [Pf(HostId.Parse("h-profile"), Cx7("0000:01:00.0", profiles: "eth-full"))]),
            new HostInventory(HostId.Parse("h-full"), "n", false, [Pf(HostId.Parse("h-full"), Cx7("0000:01:00.0", maxVfs: 1), Vf(PfId.Parse("h-full/0000:01:00.0"), 0))]),
            new HostInventory(HostId.Parse("h-busy"), "n", false, [Pf(HostId.Parse("h-busy"), Cx7("0000:01:00.0", slots: 1)) with { MigrationSlotsInUse = 1 }]),
        };
        var result = Placer.Place(Req(), Build(1, hosts), ReservationLedger.Empty);
        Assert.False(result.IsPlaced);
        var codes = result.Rejections.Select(r => r.Code).ToHashSet();
        Assert.Superset(new HashSet<PlacementRejectionReasonCode>
        {
            PlacementRejectionReasonCode.SameHostAsSource, PlacementRejectionReasonCode.HostCordoned,
            PlacementRejectionReasonCode.FirmwareIncompatible, PlacementRejectionReasonCode.DeviceTypeDiffers,
            PlacementRejectionReasonCode.ProfileNotOffered, PlacementRejectionReasonCode.NoFreeVfSlot,
            PlacementRejectionReasonCode.NoFreeMigrationSlot,
        }, codes);
        var fw = result.Rejections.Single(r => r.Code == PlacementRejectionReasonCode.FirmwareIncompatible);
        Assert.Contains("source 28.41.1000, target 28.39.1002", fw.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_busy_pf_is_still_a_target_when_the_caller_queues_for_migration_slots()
    {
        var busy = new HostInventory(HostB, "n", false, [Pf(HostB, Cx7("0000:5e:00.0", slots: 1)) with { MigrationSlotsInUse = 1 }]);
        Assert.False(Placer.Place(Req(), Build(1, busy), ReservationLedger.Empty).IsPlaced);
        var queued = Placer.Place(Req(), Build(1, busy), ReservationLedger.Empty, queueForMigrationSlots: true);
        Assert.True(queued.IsPlaced, queued.Explain());
        Assert.Equal(HostB, queued.Target!.Host);
    }

    [Fact]
    public void Reservations_count_against_free_slots()
    {
        var pf = PfId.Parse("host-b/0000:5e:00.0");
        var b = new HostInventory(HostB, "node-2", false, [Pf(HostB, Cx7("0000:5e:00.0", maxVfs: 1))]);
        var ledger = ReservationLedger.Of([new Reservation(MigrationId.Parse("m-other"), pf.Vf(0), ReservationRole.Target)]);
        var result = Placer.Place(Req(), Build(1, b), ledger);
        Assert.False(result.IsPlaced);
        Assert.Contains(result.Rejections, r => r.Code == PlacementRejectionReasonCode.NoFreeVfSlot);
    }

    [Fact]
    public void Multi_vf_goes_to_one_host_or_fails_as_a_whole()
    {
        var small = new HostInventory(HostB, "n", false, [Pf(HostB, Cx7("0000:5e:00.0", slots: 1))]);
        var big = new HostInventory(HostId.Parse("host-c"), "n", false,
            [Pf(HostId.Parse("host-c"), Cx7("0000:5e:00.0", slots: 1)), Pf(HostId.Parse("host-c"), Cx7("0000:5f:00.0", slots: 1))]);
        var result = Placer.Place(Req(2), Build(2, small, big), ReservationLedger.Empty);
        Assert.True(result.IsPlaced, result.Explain());
        Assert.Equal(HostId.Parse("host-c"), result.Target!.Host);
        Assert.Equal(2, result.Target.Vfs.Select(v => v.Target.Pf).Distinct().Count());
        Assert.Contains(result.Rejections, r => r.Code == PlacementRejectionReasonCode.WorkloadDoesNotFit && r.Host == HostB);
    }

    [Fact]
    public void Multi_vf_needs_p2p_on_every_device()
    {
        var noP2P = Cx7("0000:5e:00.0", flags: MigrationFlags.StopCopy | MigrationFlags.PreCopy);
        var b = new HostInventory(HostB, "n", false, [Pf(HostB, noP2P)]);
        var result = Placer.Place(Req(2), Build(2, b), ReservationLedger.Empty);
        Assert.Contains(result.Rejections, r => r.Code == PlacementRejectionReasonCode.TargetLacksP2P);
    }

    [Fact]
    public void Request_level_rejections()
    {
        var inv = Build(1);
        Assert.Equal(PlacementRejectionReasonCode.SourceVfNotFound,
            Placer.Place(new PlacementRequest(Vm, [SourcePf.Vf(7)]), inv, ReservationLedger.Empty).Rejections.Single().Code);
        Assert.Equal(PlacementRejectionReasonCode.HostNotFound,
            Placer.Place(Req(1, HostId.Parse("nowhere")), inv, ReservationLedger.Empty).Rejections.Single().Code);
        var kernel = new Inventory([new HostInventory(HostA, "n", false, [Pf(HostA, Cx7("0000:3b:00.0"), Vf(SourcePf, 0, Vm, VfKind.Kernel))])]);
        Assert.Equal(PlacementRejectionReasonCode.KindNotMigratable, Placer.Place(Req(), kernel, ReservationLedger.Empty).Rejections.Single().Code);
    }

    [Theory]
    [InlineData("mlx5", "28.41.1000", "28.41.1000", true)]
    [InlineData("mlx5", "28.41.1000", "28.41.1001", false)]
    [InlineData("hisi_acc", "3.2.1", "3.2.9", true)]
    [InlineData("hisi_acc", "3.2.1", "3.3.1", false)]
    [InlineData("unknown", "1.0", "1.0.1", false)]
    public void Firmware_rules_per_driver(string driver, string source, string target, bool ok) =>
        Assert.Equal(ok, CompatibilityRules.CheckFirmware(driver, source, target) is null);
}
