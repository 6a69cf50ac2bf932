using System.Text.Json.Serialization;

namespace Orchestrator.Devices.Simulation;

/// <summary>One VF of a <see cref="PersistedPfState"/>.</summary>
/// <param name="Index">VF index.</param>
/// <param name="Kind"><c>Vfio</c> or <c>Kernel</c>.</param>
/// <param name="Profile">Profile name.</param>
/// <param name="State">VFIO state name (<c>RUNNING</c>, <c>STOP</c>, …) when the file was written.</param>
/// <param name="ContentSeed">Seed of the state's page contents.</param>
/// <param name="Versions">Every page's version, base64 of little-endian uint32s.</param>
/// <param name="DirtyBytesPerSecond">The workload's rate of change.</param>
public sealed record PersistedVf(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("contentSeed")] ulong ContentSeed,
    [property: JsonPropertyName("versions")] string Versions,
    [property: JsonPropertyName("dirtyBytesPerSecond")] long DirtyBytesPerSecond);
