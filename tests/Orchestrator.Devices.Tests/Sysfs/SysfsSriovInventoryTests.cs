using Orchestrator.Devices.Sysfs;

namespace Orchestrator.Devices.Tests.Sysfs;

/// <summary>Against a fake sysfs tree shaped like the kernel's: devices under devices/pci0000:00, symlinked from bus/pci/devices.</summary>
public sealed class SysfsSriovInventoryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"sysfs-{Guid.NewGuid():N}");

    public SysfsSriovInventoryTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bus", "pci", "devices"));
        Directory.CreateDirectory(Path.Combine(_root, "bus", "pci", "drivers", "mlx5_core"));
        Directory.CreateDirectory(Path.Combine(_root, "bus", "pci", "drivers", "vfio-pci"));
        Device("0000:3b:00.0", "0x15b3", "0x1021", "mlx5_core", total: 8, num: 2);
        Device("0000:3b:00.2", "0x15b3", "0x101e", "vfio-pci");
        Device("0000:3b:00.3", "0x15b3", "0x101e", null);
        Link("0000:3b:00.0", "virtfn0", "0000:3b:00.2");
        Link("0000:3b:00.0", "virtfn1", "0000:3b:00.3");
        Device("0000:00:1f.0", "0x8086", "0xa382", null); // no SR-IOV
        Device("0000:5e:00.0", "0x1dd8", "0x1002", null, total: 4, num: 0);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Lists_sriov_pfs_with_their_vfs_drivers_and_ids()
    {
        var pfs = new SysfsSriovInventory(_root).ListPfs();
        Assert.Equal(["0000:3b:00.0", "0000:5e:00.0"], pfs.Select(p => p.Address));
        var mlx = pfs[0];
        Assert.Equal(("0x15b3", "0x1021", "mlx5_core", 8, 2), (mlx.VendorId, mlx.DeviceId, mlx.Driver, mlx.TotalVfs, mlx.NumVfs));
        Assert.Equal(
            [new SysfsVf(0, "0000:3b:00.2", "0x15b3", "0x101e", "vfio-pci"), new SysfsVf(1, "0000:3b:00.3", "0x15b3", "0x101e", null)],
            mlx.Vfs);
        Assert.Null(pfs[1].Driver);
        Assert.Empty(pfs[1].Vfs);
    }

    [Fact]
    public void A_tree_without_a_pci_bus_has_no_pfs() =>
        Assert.Empty(new SysfsSriovInventory(Path.Combine(_root, "nothing")).ListPfs());

    private void Device(string address, string vendor, string device, string? driver, int? total = null, int? num = null)
    {
        var dir = Path.Combine(_root, "devices", "pci0000:00", address);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vendor"), vendor + "\n");
        File.WriteAllText(Path.Combine(dir, "device"), device + "\n");
        if (total is { } t)
        {
            File.WriteAllText(Path.Combine(dir, "sriov_totalvfs"), $"{t}\n");
            File.WriteAllText(Path.Combine(dir, "sriov_numvfs"), $"{num}\n");
        }

        if (driver is not null)
        {
            File.CreateSymbolicLink(Path.Combine(dir, "driver"), $"../../../bus/pci/drivers/{driver}");
        }

        File.CreateSymbolicLink(Path.Combine(_root, "bus", "pci", "devices", address), $"../../../devices/pci0000:00/{address}");
    }

    private void Link(string pf, string name, string vf) =>
        File.CreateSymbolicLink(Path.Combine(_root, "devices", "pci0000:00", pf, name), $"../{vf}");
}
