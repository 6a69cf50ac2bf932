using System.Text.Json.Serialization;

namespace Orchestrator.Devices.Simulation;

/// <summary>
/// What a simulated PF keeps across a restart of the process that drives it (a real device outlives its agent): the
/// VFs with index, kind, profile, VFIO state and state contents (seed and page versions). Open data streams are not
/// kept, as a process's file descriptors die with it. Written by <see cref="SimulatedPfDriver.SaveState"/>.
/// </summary>
/// <param name="Address">The PF's PCI address (a file restored onto another PF is refused).</param>
/// <param name="Vfs">Its VFs.</param>
public sealed record PersistedPfState(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("vfs")] IReadOnlyList<PersistedVf> Vfs);
