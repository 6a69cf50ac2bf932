using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>What a simulated VF holds now, for tests, the demo and the chaos checker.</summary>
/// <param name="Index">VF index.</param>
/// <param name="Kind">Kind.</param>
/// <param name="Profile">Profile.</param>
/// <param name="State">VFIO state.</param>
/// <param name="Migratable">False when the VF has no migration ops (kernel kind or a non-migratable profile).</param>
/// <param name="StateBytes">Size of its device state.</param>
/// <param name="StateDigest">
/// XxHash128 of the state's identity: content seed, size, page size and every page's version. Two VFs with equal
/// digests hold byte-identical state, because page content is a pure function of (seed, page, version).
/// </param>
/// <param name="DirtyBytesPerSecond">The workload's rate of change while the VF runs.</param>
/// <param name="LastSaved">The last stream this VF saved to the end, or null.</param>
/// <param name="LastLoaded">The last stream this VF loaded successfully, or null.</param>
public sealed record SimulatedVfInfo(
    int Index,
    VfKind Kind,
    ProfileId Profile,
    VfioDeviceState State,
    bool Migratable,
    long StateBytes,
    UInt128 StateDigest,
    long DirtyBytesPerSecond,
    StreamSummary? LastSaved,
    StreamSummary? LastLoaded);
