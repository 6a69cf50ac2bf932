using System.Globalization;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Domain.Compatibility;

/// <summary>
/// Whether a VF's saved state can load on a target PF, before anything is tried.
/// <list type="bullet">
/// <item><c>mlx5</c>, <c>pds</c>: identical firmware. NVIDIA documents "same PSID and same FW" on both hosts and the
/// firmware checks its image on LOAD; pds checks on RESTORE. Publish the PSID inside <see cref="PfDescriptor.Firmware"/>
/// (for example <c>28.41.1000/MT_0000000891</c>) and the identity check covers both.</item>
/// <item><c>hisi_acc</c>, <c>virtio</c>, <c>nvme</c>: same major.minor. Their match data (magic, dev_id, qp_num;
/// device parts; TP4159 controller state version) is versioned by interface, not by build.</item>
/// <item>Any other driver: identical firmware (the safe default).</item>
/// </list>
/// The load on the target still checks the match data; these rules only avoid a doomed attempt.
/// </summary>
public static class CompatibilityRules
{
    /// <summary>The firmware rule of a driver model.</summary>
    public static FirmwareRule FirmwareRuleOf(string driver) => driver switch
    {
        "hisi_acc" or "virtio" or "nvme" => FirmwareRule.SameMajorMinor,
        _ => FirmwareRule.Identical,
    };

    /// <summary>Null when <paramref name="target"/>'s firmware accepts state from <paramref name="source"/>'s; else why not.</summary>
    public static string? CheckFirmware(string driver, string source, string target)
    {
        var rule = FirmwareRuleOf(driver);
        var ok = rule switch
        {
            FirmwareRule.Identical => string.Equals(source, target, StringComparison.Ordinal),
            FirmwareRule.SameMajorMinor => MajorMinor(source) is { } s && MajorMinor(target) is { } t && s == t,
            _ => false,
        };
        return ok
            ? null
            : $"firmware incompatible: source {source}, target {target} ({driver} requires {(rule == FirmwareRule.Identical ? "identical firmware" : "the same major.minor")})";
    }

    /// <summary>
    /// Null when a VF of <paramref name="source"/> can migrate to a VF of <paramref name="target"/> (driver, device type,
    /// migration support, firmware); else the first reason and its code.
    /// </summary>
    public static (PlacementRejectionReasonCode Code, string Detail)? CheckPf(PfDescriptor source, PfDescriptor target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!string.Equals(source.DeviceType, target.DeviceType, StringComparison.Ordinal)
            || !string.Equals(source.Driver, target.Driver, StringComparison.Ordinal))
        {
            return (PlacementRejectionReasonCode.DeviceTypeDiffers,
                $"device type differs: source {source.Driver}/{source.DeviceType}, target {target.Driver}/{target.DeviceType}");
        }

        if (!target.MigrationFlags.HasFlag(MigrationFlags.StopCopy))
        {
            return (PlacementRejectionReasonCode.MigrationNotSupported, $"target PF {target.Address} does not support migration (flags {target.MigrationFlags.Name()})");
        }

        return CheckFirmware(source.Driver, source.Firmware, target.Firmware) is { } firmware
            ? (PlacementRejectionReasonCode.FirmwareIncompatible, firmware)
            : null;
    }

    private static (int Major, int Minor)? MajorMinor(string firmware)
    {
        var parts = firmware.Split('.', '-', '/');
        return parts.Length >= 2
               && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            ? (major, minor)
            : null;
    }
}
