namespace Orchestrator.Devices.Topology;

/// <summary>What <see cref="TopologyLoader"/> found: a topology when there were no errors, else every error.</summary>
/// <param name="Topology">The topology, or null when any error was found.</param>
/// <param name="Errors">Every error, in file order.</param>
public sealed record TopologyLoadResult(Topology? Topology, IReadOnlyList<TopologyError> Errors)
{
    /// <summary>True when the file loaded.</summary>
    public bool Succeeded => Topology is not null;
}
