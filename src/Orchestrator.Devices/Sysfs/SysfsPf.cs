namespace Orchestrator.Devices.Sysfs;

/// <summary>An SR-IOV capable PCI function found in sysfs.</summary>
/// <param name="Address">PCI address (the directory name under <c>bus/pci/devices</c>).</param>
/// <param name="VendorId">PCI vendor id, for example <c>0x15b3</c>.</param>
/// <param name="DeviceId">PCI device id.</param>
/// <param name="Driver">Bound driver (the <c>driver</c> link's target name, e.g. <c>mlx5_core</c>), or null when unbound.</param>
/// <param name="TotalVfs"><c>sriov_totalvfs</c>.</param>
/// <param name="NumVfs"><c>sriov_numvfs</c>: VFs enabled now.</param>
/// <param name="Vfs">Its VFs (<c>virtfnN</c> links), by index.</param>
public sealed record SysfsPf(
    string Address,
    string? VendorId,
    string? DeviceId,
    string? Driver,
    int TotalVfs,
    int NumVfs,
    IReadOnlyList<SysfsVf> Vfs);
