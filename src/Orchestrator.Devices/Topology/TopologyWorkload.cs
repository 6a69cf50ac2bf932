namespace Orchestrator.Devices.Topology;

/// <summary>A workload (a VM) that holds one or more VFs; they migrate together.</summary>
/// <param name="Id">Workload id, unique in the file.</param>
/// <param name="DirtyBytesPerSecond">How fast it changes its VFs' state; each profile's default when null.</param>
public sealed record TopologyWorkload(string Id, long? DirtyBytesPerSecond);
