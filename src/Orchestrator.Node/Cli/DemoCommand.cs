using System.CommandLine;
using Orchestrator.Chaos.Processes;
using Orchestrator.Node.Demo;
using Spectre.Console;

namespace Orchestrator.Node.Cli;

/// <summary>
/// <c>orchestrator demo</c>: an embedded cluster of node processes that migrates workloads while you watch
/// (<see cref="ClusterDemo"/>); <c>--stop</c> ends a kept one; <c>--devices-only</c> is the device layer alone
/// (<see cref="DeviceDemo"/>), which shows the VFIO state machine of one migration.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Node processes to start", DefaultValueFactory = _ => 3 };
        var keep = new Option<bool>("--keep") { Description = "Leave the cluster running for the API at the end (end it with --stop)" };
        var stop = new Option<bool>("--stop") { Description = "End the cluster a `demo --keep` left running" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the simulated device state", DefaultValueFactory = _ => 42 };
        var portBase = new Option<int>("--api-port-base") { Description = "API port of the first node; the others follow", DefaultValueFactory = _ => 7401 };
        var quick = new Option<bool>("--quick") { Description = "Faster simulated devices and an immediate abort (CI)" };
        var stateDir = new Option<string>("--state-dir") { Description = "Where the token, pid file, journal and logs go", DefaultValueFactory = _ => ".orchestrator" };
        var devicesOnly = new Option<bool>("--devices-only") { Description = "Only the device layer, in this process: one migration through the VFIO state machine" };
        var topology = new Option<string?>("--topology") { Description = "Topology file (default: cluster-config/demo-topology.yaml)" };
        var workload = new Option<string>("--workload") { Description = "With --devices-only: workload whose VF migrates", DefaultValueFactory = _ => "vm-web" };
        var scale = new Option<double>("--latency-scale") { Description = "With --devices-only: multiplies device command latencies (0 = instant)", DefaultValueFactory = _ => 1.0 };
        var command = new Command("demo", "Start a cluster of node processes on 127.0.0.1 and migrate, abort, roll back and evacuate through its API")
        {
            nodes, keep, stop, seed, portBase, quick, stateDir, devicesOnly, topology, workload, scale,
        };
        command.SetAction((parse, ct) =>
        {
            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console.Profile.Width = Math.Max(AnsiConsole.Console.Profile.Width, 160); // tables in logs and CI
            }

            if (parse.GetValue(devicesOnly))
            {
                return DeviceDemo.RunAsync(
                    new DemoSettings(parse.GetValue(topology), parse.GetValue(seed), parse.GetValue(workload)!, parse.GetValue(scale)), AnsiConsole.Console, ct);
            }

            if (parse.GetValue(stop))
            {
                var stopped = LocalCluster.StopKept(parse.GetValue(stateDir)!, Console.Out);
                Console.WriteLine($"demo: stopped {stopped} node process(es)");
                return Task.FromResult(0);
            }

            var options = new DemoOptions
            {
                Nodes = parse.GetValue(nodes),
                Keep = parse.GetValue(keep),
                Seed = parse.GetValue(seed),
                ApiPortBase = parse.GetValue(portBase),
                Quick = parse.GetValue(quick),
                StateDirectory = parse.GetValue(stateDir)!,
                Topology = parse.GetValue(topology),
            };
            return ClusterDemo.RunAsync(options, AnsiConsole.Console, TimeProvider.System, ct);
        });
        return command;
    }
}
