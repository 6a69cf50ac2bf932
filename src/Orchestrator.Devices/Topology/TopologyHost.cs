namespace Orchestrator.Devices.Topology;

/// <summary>One physical host of a topology.</summary>
/// <param name="Id">Host id, unique in the file.</param>
/// <param name="Node">The node process that hosts it, when pinned.</param>
/// <param name="Pfs">Its PFs.</param>
public sealed record TopologyHost(string Id, string? Node, IReadOnlyList<TopologyPf> Pfs);
