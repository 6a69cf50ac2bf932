using System.CommandLine;
using System.Diagnostics;

namespace Orchestrator.Node.Cli;

/// <summary>
/// <c>orchestrator bench</c>: runs the benchmark console (<c>bench/Orchestrator.Bench</c>, built by <c>./run bench</c>
/// into <c>artifacts/bin/bench</c>) with this executable as the node command of its 3-process figures.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Fewer repetitions and smaller sizes (about half the time)" };
        var json = new Option<bool>("--json") { Description = "Write one JSON object of the figures to stdout (the table goes to stderr)" };
        var only = new Option<string?>("--only") { Description = "Comma-separated groups: tcp,downtime,control,multivf,evacuation,recovery,memory,3proc" };
        var command = new Command("bench", "Measure downtime, control-plane cost, throughput, memory and recovery against baselines of the same run (issue 8)")
        {
            quick, json, only,
        };
        command.SetAction(async (parse, ct) =>
        {
            var bench = FindBench();
            if (bench is null)
            {
                await Console.Error.WriteLineAsync("bench: artifacts/bin/bench/orchestrator-bench.dll not found; run ./run bench (it builds it)");
                return 2;
            }

            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            start.ArgumentList.Add(bench);
            if (parse.GetValue(quick))
            {
                start.ArgumentList.Add("--quick");
            }

            if (parse.GetValue(json))
            {
                start.ArgumentList.Add("--json");
            }

            if (parse.GetValue(only) is { } groups)
            {
                start.ArgumentList.Add("--only");
                start.ArgumentList.Add(groups);
            }

            start.ArgumentList.Add("--node-command");
            start.ArgumentList.Add($"dotnet {Path.Combine(AppContext.BaseDirectory, "orchestrator.dll")}");
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync(ct);
            return process.ExitCode;
        });
        return command;
    }

    private static string? FindBench()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "artifacts", "bin", "bench", "orchestrator-bench.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        return null;
    }
}
