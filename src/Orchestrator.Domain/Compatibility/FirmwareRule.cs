namespace Orchestrator.Domain.Compatibility;

/// <summary>How a driver model compares the source's and the target's firmware.</summary>
public enum FirmwareRule
{
    /// <summary>The firmware strings must be identical (ordinal). mlx5 and pds: NVIDIA requires the same PSID and FW.</summary>
    Identical,

    /// <summary>The first two dot-separated numbers must be equal (<c>5.1.7</c> ≈ <c>5.1.9</c>).</summary>
    SameMajorMinor,
}
