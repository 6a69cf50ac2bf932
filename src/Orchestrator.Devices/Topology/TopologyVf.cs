using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Topology;

/// <summary>A VF that exists when its PF starts.</summary>
/// <param name="Index">VF index on its PF.</param>
/// <param name="Kind">Kind.</param>
/// <param name="Profile">Profile (offered by its PF).</param>
/// <param name="Workload">The workload holding it, or null.</param>
public sealed record TopologyVf(int Index, VfKind Kind, ProfileId Profile, string? Workload);
