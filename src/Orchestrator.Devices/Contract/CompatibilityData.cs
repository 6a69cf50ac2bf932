namespace Orchestrator.Devices.Contract;

/// <summary>
/// What a target checks before it accepts a source VF's state: device type, firmware, profile, kind, and the
/// driver's match data (hisi_acc: magic, dev_id, qp_num; mlx5: firmware image), carried in the saved stream too.
/// </summary>
/// <param name="Driver">Driver model.</param>
/// <param name="DeviceType">Device type.</param>
/// <param name="Firmware">Firmware version.</param>
/// <param name="Profile">The VF's profile.</param>
/// <param name="Kind">The VF's kind.</param>
/// <param name="MatchData">Driver-specific match bytes, as the driver writes them at the head of the stream.</param>
public sealed record CompatibilityData(
    string Driver,
    string DeviceType,
    string Firmware,
    ProfileId Profile,
    VfKind Kind,
    IReadOnlyList<byte> MatchData);
