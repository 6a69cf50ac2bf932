namespace Orchestrator.Chaos.Harness;

/// <summary>
/// The node a chaos run starts: <c>orchestrator fault-node --config FILE</c> (hidden), an <c>orchestrator node</c> that
/// also serves <c>POST /api/v1/chaos/device-faults</c>, so that the harness can make its simulated PFs fail. Its own
/// verb, not a config key: a node started with <c>orchestrator node</c> never serves the fault API, whatever its config.
/// </summary>
public static class FaultNode
{
    /// <summary>The hidden verb.</summary>
    public const string Verb = "fault-node";
}
