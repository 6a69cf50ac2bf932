using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// The numbers and rules a <see cref="SimulatedPfDriver"/> follows for one kind of device. The built-in models are in
/// <see cref="DriverModels"/>, each with the source of its numbers.
/// </summary>
/// <param name="Name">Driver name as a topology names it: <c>mlx5</c>, <c>hisi_acc</c>, <c>pds</c>, <c>virtio</c>, <c>nvme</c>.</param>
/// <param name="Flags">Migration flags the driver advertises for its VFs.</param>
/// <param name="Profiles">The profiles the driver knows.</param>
/// <param name="Latencies">Command latencies.</param>
/// <param name="DefaultMaxVfs">sriov_totalvfs unless a PF says otherwise.</param>
/// <param name="DefaultMaxConcurrentMigrations">Concurrent migration sessions per PF unless a PF says otherwise.</param>
/// <param name="PreCopyTracking">How changed state is reported in PRE_COPY.</param>
/// <param name="FirmwareCheck">When the target compares firmware and match block.</param>
/// <param name="MatchRule">What the match block is.</param>
public sealed record DriverModel(
    string Name,
    MigrationFlags Flags,
    IReadOnlyList<ProfileModel> Profiles,
    CommandLatencies Latencies,
    int DefaultMaxVfs,
    int DefaultMaxConcurrentMigrations,
    PreCopyTracking PreCopyTracking,
    FirmwareCheck FirmwareCheck,
    MatchRule MatchRule)
{
    /// <summary>The profile of that name, or null.</summary>
    public ProfileModel? FindProfile(ProfileId id) =>
        Profiles.FirstOrDefault(p => p.Id == id);
}
