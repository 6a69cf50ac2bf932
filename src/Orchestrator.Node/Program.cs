using Orchestrator.Node.Cli;

return await OrchestratorCli.RunAsync(args);
