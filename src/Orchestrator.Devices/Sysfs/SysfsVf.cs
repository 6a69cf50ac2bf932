namespace Orchestrator.Devices.Sysfs;

/// <summary>A VF of an SR-IOV PF, as sysfs shows it.</summary>
/// <param name="Index">N of the PF's <c>virtfnN</c> link.</param>
/// <param name="Address">The VF's PCI address (the link target's name).</param>
/// <param name="VendorId">PCI vendor id.</param>
/// <param name="DeviceId">PCI device id.</param>
/// <param name="Driver">Bound driver (e.g. <c>vfio-pci</c>, <c>mlx5_vfio_pci</c>, <c>mlx5_core</c>), or null when unbound.</param>
public sealed record SysfsVf(int Index, string Address, string? VendorId, string? DeviceId, string? Driver);
