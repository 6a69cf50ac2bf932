using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Topology;

/// <summary>One PF of a host.</summary>
/// <param name="Address">PCI address, unique on its host.</param>
/// <param name="Driver">Driver model name.</param>
/// <param name="DeviceType">Device type.</param>
/// <param name="Firmware">Firmware version.</param>
/// <param name="MaxVfs">sriov_totalvfs.</param>
/// <param name="MaxConcurrentMigrations">Override of the model's per-PF migration limit, or null.</param>
/// <param name="Flags">Override of the model's flags (a subset), or null.</param>
/// <param name="BoardId">Board identity in the match block (mlx5 PSID, hisi_acc queue isolation), or null.</param>
/// <param name="Profiles">Profiles the PF offers.</param>
/// <param name="Vfs">VFs that exist at start.</param>
public sealed record TopologyPf(
    string Address,
    string Driver,
    string DeviceType,
    string Firmware,
    int MaxVfs,
    int? MaxConcurrentMigrations,
    MigrationFlags? Flags,
    string? BoardId,
    IReadOnlyList<ProfileId> Profiles,
    IReadOnlyList<TopologyVf> Vfs);
