using System.CommandLine;
using Orchestrator.Chaos.Harness;
using Orchestrator.Node.Cli.Client;

namespace Orchestrator.Node.Cli;

/// <summary>The <c>orchestrator</c> executable's verbs. Each verb lives in its own file and adds itself here.</summary>
internal static class OrchestratorCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("orchestrator: live migration of SR-IOV VFs between hosts, on an Akka.NET cluster")
        {
            FsmCommand.Create(),
            DemoCommand.Create(),
            ChaosCommand.Create(),
            NodeCommand.Create(),
            BenchCommand.Create(),
        };
        foreach (var verb in HarnessNodeCommands.Create().Concat(ClientCommands.Create(CliIo.Standard)))
        {
            root.Add(verb);
        }

        // A node leaving the cluster on SIGTERM needs more than System.CommandLine's default 2 s.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(20) });
    }
}
