namespace Orchestrator.Devices.Contract;

/// <summary>What a PF is: the facts placement and compatibility read. All its VFs share its device type.</summary>
/// <param name="Address">PCI address of the PF, for example <c>0000:3b:00.0</c>; unique on its host.</param>
/// <param name="Driver">Driver model: <c>mlx5</c>, <c>hisi_acc</c>, <c>pds</c>, <c>virtio</c>, <c>nvme</c>.</param>
/// <param name="DeviceType">Device type, for example <c>ConnectX-7</c>; a migration only goes to the same type.</param>
/// <param name="Firmware">Firmware version, compared by the driver's compatibility rule.</param>
/// <param name="MigrationFlags">Migration capabilities of its VFs (one of the four defined sets).</param>
/// <param name="MaxVfs">sriov_totalvfs.</param>
/// <param name="MaxConcurrentMigrations">How many of its VFs may migrate at once (a firmware/driver limit).</param>
/// <param name="Profiles">Profiles the PF can create VFs with.</param>
public sealed record PfDescriptor(
    string Address,
    string Driver,
    string DeviceType,
    string Firmware,
    MigrationFlags MigrationFlags,
    int MaxVfs,
    int MaxConcurrentMigrations,
    IReadOnlyList<ProfileId> Profiles);
