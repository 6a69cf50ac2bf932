using Orchestrator.Devices.Contract;

namespace Orchestrator.Testing;

/// <summary>The profiles the test topologies use, typed once.</summary>
public static class TestProfiles
{
    /// <summary>The small migratable mlx5 profile most tests create VFs with.</summary>
    public static ProfileId EthSmall { get; } = ProfileId.Parse("eth-small");
}
