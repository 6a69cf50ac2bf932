using System.CommandLine;
using Orchestrator.Chaos.BrokenBuilds;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Cli;

/// <summary>
/// <c>orchestrator chaos-node</c> (hidden): a node whose journal loses every <c>MigrationCommitted</c> on replay
/// (<see cref="DropCommitCheckpoint"/>), started by <c>chaos --lose-commit-checkpoint</c>. Its own verb, not a config
/// key: a node started with <c>orchestrator node</c> cannot be configured into it.
/// </summary>
internal static class BrokenNodeCommand
{
    public static Command Create()
    {
        var command = NodeCommand.Create(DropCommitCheckpoint.NodeVerb, "TEST ONLY: a node whose journal loses the Committed checkpoint", options =>
        {
            DropCommitCheckpoint.Arm();
            options.HarnessHocon = DropCommitCheckpoint.Hocon(OrchestratorConfig.JournalPluginId);
        });
        command.Hidden = true;
        return command;
    }
}
