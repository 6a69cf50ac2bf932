using System.CommandLine;
using Orchestrator.Chaos.BrokenBuilds;
using Orchestrator.Chaos.Harness;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Cli;

/// <summary>
/// The chaos harness's own node verbs, hidden, each a node that serves the device fault API:
/// <c>orchestrator fault-node</c> (<see cref="FaultNode"/>), what a chaos run starts, and <c>orchestrator chaos-node</c>,
/// the same with a journal that loses every <c>MigrationCommitted</c> on replay (<see cref="DropCommitCheckpoint"/>),
/// started by <c>chaos --lose-commit-checkpoint</c>. Verbs, not config keys: a node started with
/// <c>orchestrator node</c> cannot be configured into either.
/// </summary>
internal static class HarnessNodeCommands
{
    public static IEnumerable<Command> Create()
    {
        var faultNode = NodeCommand.Create(FaultNode.Verb, "TEST ONLY: a node that also serves the device fault API", options => options.ChaosFaultApi = true);
        var brokenNode = NodeCommand.Create(DropCommitCheckpoint.NodeVerb, "TEST ONLY: a node whose journal loses the Committed checkpoint", options =>
        {
            DropCommitCheckpoint.Arm();
            options.HarnessHocon = DropCommitCheckpoint.Hocon(OrchestratorConfig.JournalPluginId);
            options.ChaosFaultApi = true;
        });
        faultNode.Hidden = true;
        brokenNode.Hidden = true;
        return [faultNode, brokenNode];
    }
}
