namespace Orchestrator.Devices.Simulation;

/// <summary>
/// What a whole state stream was: its length up to the end record, the XxHash128 checksum of those bytes (the one the
/// end record carries) and the digest of the device state it describes.
/// </summary>
/// <param name="Bytes">Bytes before the end record.</param>
/// <param name="Checksum">XxHash128 of those bytes.</param>
/// <param name="StateDigest">Digest of the saved (or loaded) device state, as <see cref="SimulatedVfInfo.StateDigest"/>.</param>
public sealed record StreamSummary(long Bytes, UInt128 Checksum, UInt128 StateDigest);
