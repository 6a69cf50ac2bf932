using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Spectre.Console;

namespace Orchestrator.Node.Demo;

/// <summary>
/// <c>orchestrator demo</c>: starts the cluster (<see cref="LocalCluster"/>), runs <see cref="DemoScenario"/> through
/// the API, prints <c>demo: N completed, N rolled back, N failed</c> as its last line and stops every process it
/// started, also on Ctrl-C and on failure (unless <c>--keep</c>). Exit 0 when nothing failed, 1 when something did,
/// 2 for bad input, 4 when a kept demo or another program holds the API ports.
/// </summary>
internal static class ClusterDemo
{
    public static async Task<int> RunAsync(DemoOptions options, IAnsiConsole console, TimeProvider time, CancellationToken ct)
    {
        // A kept demo cluster holds the API ports: say that, not that the ports are busy.
        var kept = LocalCluster.LiveKept(options.StateDirectory);
        if (kept.Count > 0)
        {
            console.WriteLine($"orchestrator demo: a kept demo cluster is running ({string.Join(", ", kept.Select(k => $"{k.Name} pid {k.Pid}"))}); end it with `orchestrator demo --stop`");
            return ExitCodes.Conflict;
        }

        var check = LocalCluster.CheckStart(options.Validate(), options.Topology, options.ApiPortBase, options.Nodes);
        if (check.ExitCode != 0)
        {
            check.Problems.ToList().ForEach(e => console.WriteLine($"orchestrator demo: {e}"));
            return check.ExitCode;
        }

        var watch = Stopwatch.StartNew();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var cluster = LocalCluster.Prepare(options.Cluster(), check.TopologyPath!, check.Hosts, token);
        using var onExit = new ProcessExitGuard(cluster.Stop);
        var completed = 0;
        var rolledBack = 0;
        var failed = 0;
        var keep = false;
        try
        {
            console.MarkupLine($"[bold]orchestrator demo[/]: {options.Nodes} node process(es) on 127.0.0.1, SQLite journal {Markup.Escape(cluster.JournalPath)}, topology {Markup.Escape(check.TopologyPath!)} ({check.Hosts} hosts)");
            console.MarkupLine($"token: [cyan]{token}[/] (written to {Markup.Escape(Path.Combine(options.StateDirectory, LocalCluster.TokenFileName))})");
            console.MarkupLine($"traces: one JSON span per line in {Markup.Escape(LocalCluster.SpansPath(cluster.WorkDirectory, "<node>"))}");
            cluster.Start();
            foreach (var node in cluster.Nodes)
            {
                console.MarkupLine($"  {node.Name}: pid {node.Process!.Id}, API {Markup.Escape(node.Api.ToString())}, akka {node.Address}:{node.AkkaPort}, contact point {node.Address}:{node.ManagementPort}, log {Markup.Escape(node.LogPath)}");
            }

            await cluster.WaitReadyAsync(time, ct);
            console.MarkupLine($"cluster up after {watch.Elapsed.TotalSeconds:0.0} s: every node answers, {check.Hosts} hosts in the inventory");

            using var api = new OrchestratorApiClient(cluster.Nodes[0].Api, token);
            using var other = new OrchestratorApiClient(cluster.Nodes[^1].Api, token);
            var scenario = new DemoScenario(api, other, console, time, options);
            var final = await scenario.RunAsync(ct);
            completed = final.Count(m => m.State == ApiMigration.Completed);
            rolledBack = final.Count(m => m.State == ApiMigration.RolledBack);
            failed = scenario.Failures.Count;
            foreach (var f in scenario.Failures)
            {
                console.MarkupLine($"[red]failed[/]: {Markup.Escape(f)}");
            }

            keep = options.Keep;
        }
        catch (LocalClusterException e)
        {
            failed++;
            console.MarkupLine($"[red]failed[/]: {Markup.Escape(e.Message)}");
        }
        catch (ApiException e)
        {
            failed++;
            console.MarkupLine($"[red]failed[/]: {Markup.Escape(e.Message)}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            failed++;
            console.WriteLine("interrupted: stopping the cluster");
        }
        finally
        {
            if (keep)
            {
                cluster.Detach();
                console.MarkupLine($"cluster kept running: API {string.Join(", ", cluster.Nodes.Select(n => n.Api.ToString().TrimEnd('/')))}; " +
                                   $"pids in {Markup.Escape(LocalCluster.PidFile(options.StateDirectory))}; end it with `orchestrator demo --stop`");
            }
            else
            {
                cluster.Stop();
                console.WriteLine($"stopped {cluster.Nodes.Count} node process(es); took {watch.Elapsed.TotalSeconds:0.0} s");
            }
        }

        console.WriteLine($"demo: {completed} completed, {rolledBack} rolled back, {failed} failed");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
