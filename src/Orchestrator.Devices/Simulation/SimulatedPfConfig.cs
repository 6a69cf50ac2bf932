using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>One simulated PF: its identity and what it overrides of its driver model.</summary>
/// <param name="Address">PCI address, for example <c>0000:3b:00.0</c>.</param>
/// <param name="DeviceType">Device type, for example <c>ConnectX-7</c>.</param>
/// <param name="Firmware">Firmware version.</param>
public sealed record SimulatedPfConfig(string Address, string DeviceType, string Firmware)
{
    /// <summary>sriov_totalvfs; the model's default when null.</summary>
    public int? MaxVfs { get; init; }

    /// <summary>Concurrent migration sessions; the model's default when null.</summary>
    public int? MaxConcurrentMigrations { get; init; }

    /// <summary>A narrower flag set than the model's (for example mlx5 firmware without PRE_COPY); the model's when null.</summary>
    public MigrationFlags? Flags { get; init; }

    /// <summary>Profiles this PF offers (a subset of the model's); all of them when null.</summary>
    public IReadOnlyList<ProfileId>? Profiles { get; init; }

    /// <summary>Board identity in the match block: the mlx5 PSID, the hisi_acc queue-isolation config. Device type when null.</summary>
    public string? BoardId { get; init; }

    /// <summary>Seed of the VFs' state contents and of the workload's choice of pages: same seed, same bytes.</summary>
    public ulong Seed { get; init; }

    /// <summary>Multiplies every command latency: 1 = the model's, 0 = instant (unit tests).</summary>
    public double LatencyScale { get; init; } = 1.0;
}
