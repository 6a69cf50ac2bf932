using System.CommandLine;
using System.Globalization;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Chaos.Harness;

/// <summary><c>orchestrator chaos</c> (the executable adds this verb): node processes, a client, seeded faults, and the invariant checker (<see cref="ChaosRun"/>).</summary>
public static class ChaosCommand
{
    public static Command Create()
    {
        var seed = new Option<ulong>("--seed") { Description = "Seed of the fault schedule, the client and the devices", DefaultValueFactory = _ => 1 };
        var duration = new Option<string>("--duration") { Description = "How long faults and migrations go on (e.g. 90s, 10m, 12h)", DefaultValueFactory = _ => "60s" };
        var migrations = new Option<int>("--migrations") { Description = "Migrations the client requests over the run", DefaultValueFactory = _ => 20 };
        var faults = new Option<string>("--faults") { Description = "Comma-separated fault kinds: kill,pause,partition,db,device", DefaultValueFactory = _ => "kill,pause,device" };
        var nodes = new Option<int>("--nodes") { Description = "Node processes (at least 3)", DefaultValueFactory = _ => 3 };
        var db = new Option<string>("--db") { Description = "Journal: sqlite (one file) or postgres (ORCHESTRATOR_PG)", DefaultValueFactory = _ => "sqlite" };
        var report = new Option<string?>("--report") { Description = "Write the checker's report as JSON here" };
        var stateDir = new Option<string>("--state-dir") { Description = "Where the run directory goes", DefaultValueFactory = _ => ".orchestrator" };
        var portBase = new Option<int>("--api-port-base") { Description = "API port of the first node; the others follow", DefaultValueFactory = _ => 7501 };
        var settle = new Option<string>("--settle") { Description = "How long migrations may take to end after the faults", DefaultValueFactory = _ => "60s" };
        var topology = new Option<string?>("--topology") { Description = "Topology file (default: cluster-config/demo-topology.yaml)" };
        var clean = new Option<bool>("--clean") { Description = "Delete the run directory when the run passed" };
        var killAfterCommit = new Option<bool>("--kill-after-commit") { Description = "First hold one migration between Committed and Completed and kill -9 its coordinator's node" };
        var brokenBuild = new Option<bool>("--lose-commit-checkpoint") { Description = "TEST ONLY: run nodes whose journal loses the Committed checkpoint, the broken build the checker must catch", Hidden = true };
        var command = new Command("chaos", "Run a cluster under seeded faults (kill -9, SIGSTOP, partitions, PostgreSQL restart, device faults) and check the invariants")
        {
            seed, duration, migrations, faults, nodes, db, report, stateDir, portBase, settle, topology, clean, killAfterCommit, brokenBuild,
        };
        command.SetAction((parse, ct) =>
        {
            var errors = new List<string>();
            var runFor = Duration(parse.GetValue(duration)!, "--duration", errors);
            var settleFor = Duration(parse.GetValue(settle)!, "--settle", errors);
            if (errors.Count > 0)
            {
                errors.ForEach(Console.WriteLine);
                return Task.FromResult(ExitCodes.BadInput);
            }

            var options = new ChaosOptions
            {
                Seed = parse.GetValue(seed),
                Duration = runFor,
                Migrations = parse.GetValue(migrations),
                Faults = [.. parse.GetValue(faults)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Nodes = parse.GetValue(nodes),
                Db = parse.GetValue(db)!,
                Report = parse.GetValue(report),
                StateDirectory = parse.GetValue(stateDir)!,
                ApiPortBase = parse.GetValue(portBase),
                SettleTimeout = settleFor,
                Topology = parse.GetValue(topology),
                CleanOnSuccess = parse.GetValue(clean),
                KillAfterCommit = parse.GetValue(killAfterCommit),
                LoseCommitCheckpoint = parse.GetValue(brokenBuild),
            };
            return ChaosRun.RunAsync(options, Console.Out, TimeProvider.System, ct);
        });
        return command;
    }

    private static TimeSpan Duration(string text, string option, List<string> errors)
    {
        if (Durations.Parse(text) is { } d)
        {
            return d;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"orchestrator chaos: {option}: '{text}' is not a duration (e.g. 90s, 10m, 12h)"));
        return TimeSpan.Zero;
    }
}
