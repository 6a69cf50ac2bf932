using System.Diagnostics;
using System.Text.RegularExpressions;
using Orchestrator.Chaos.Harness;
using Orchestrator.Chaos.Processes;

namespace Orchestrator.Chaos.Tests.Harness;

/// <summary>
/// Bounded chaos runs of real node processes, end to end: the correct build passes with every fault kind, and a
/// deliberately broken build is caught by the checker (the two facts of this class run one after the other).
/// </summary>
[Collection(ChaosCollection.Name)]
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

    /// <summary>
    /// Every fault kind at least once (the first rounds cycle through the kinds; with PostgreSQL, as .ci/run sets
    /// ORCHESTRATOR_PG, the database is restarted too), after a targeted kill of the coordinator's node between
    /// Committed and Completed, which the correct build must carry forward; the client's first requests try each of its
    /// actions once (about 4 minutes on 2 cores).
    /// </summary>
    [Fact]
    public async Task A_bounded_run_with_every_fault_kind_passes_and_leaves_nothing_behind()
    {
        var rulesBefore = IptablesOutput();
        var postgres = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG"));
        string[] kinds = postgres ? ["kill", "pause", "partition", "db", "device"] : ["kill", "pause", "partition", "device"];
        var report = Path.Combine(_dir, "report.json");

        var (code, text) = await RunAsync(new ChaosOptions
        {
            Seed = 3,
            Duration = TimeSpan.FromSeconds(postgres ? 140 : 110),
            Migrations = 12,
            Faults = kinds,
            Db = postgres ? "postgres" : "sqlite",
            KillAfterCommit = true,
            SettleTimeout = TimeSpan.FromSeconds(60),
            Report = report,
        });

        Assert.True(code == 0, text);
        Assert.Contains("history check: PASS", text, StringComparison.Ordinal);
        // The targeted fault was injected (the PASS says the migration then went forward); the whole output on failure.
        Assert.True(Regex.IsMatch(text, @"fault f1 healed: m-\S+: killed node-\d with the target running, restarted"), text);
        var faultLine = text.Split('\n').Last(l => l.TrimStart().StartsWith("faults: ", StringComparison.Ordinal));
        Assert.All(kinds.Where(k => k != "partition" || !text.Contains("partition faults skipped", StringComparison.Ordinal)), k => Assert.Contains(k + "=", faultLine, StringComparison.Ordinal));
        // The first requests try every client action once: duplicate requests through several nodes, a ping-pong, a VF
        // create or delete on a PF a migration uses, an evacuation overlapped by manual requests (each judged above).
        var operations = text.Split('\n').Last(l => l.StartsWith("operations: ", StringComparison.Ordinal));
        Assert.All(["migrate-duplicate ", "migrate-pingpong ", "migrate-overlap ", "evacuate "], op => Assert.Contains(op, operations, StringComparison.Ordinal));
        Assert.Matches("(create|delete)-vf ", operations);
        Assert.Contains("[PASS] 8 vf-ownership", text, StringComparison.Ordinal);
        Assert.Contains("[PASS] 9 never-on-none", text, StringComparison.Ordinal);
        Assert.Contains("\"invariants\"", await File.ReadAllTextAsync(report), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(rulesBefore, IptablesOutput());
    }

    /// <summary>
    /// Nodes of the broken build (<c>orchestrator chaos-node</c>) lose the Committed checkpoint on replay;
    /// <c>--kill-after-commit</c> holds a migration with its target running and its source release pending, then kills its
    /// coordinator's node (about 2 minutes).
    /// </summary>
    [Fact]
    public async Task A_build_that_loses_the_committed_checkpoint_fails_the_chaos_run_naming_the_invariant()
    {
        var (code, text) = await RunAsync(new ChaosOptions
        {
            Seed = 5,
            Duration = TimeSpan.FromSeconds(5),
            Migrations = 0,
            Faults = [],
            KillAfterCommit = true,
            LoseCommitCheckpoint = true,
            SettleTimeout = TimeSpan.FromSeconds(20),
        });

        Assert.True(code == 1, text); // the whole output when the broken build escapes
        Assert.Contains("killed", text, StringComparison.Ordinal); // the targeted fault was injected, not skipped
        Assert.Contains("history check: FAIL", text, StringComparison.Ordinal);
        // The new incarnation either cannot replay TargetStarted without Committed, so the migration never ends
        // (invariant 2), or (when the kill came before TargetStarted was written) rolls back after the target ran, so
        // the source runs the workload again from its old state (invariant 1).
        Assert.Matches(@"\[FAIL\] (2 settles|1 single-host)", text);
    }

    private async Task<(int Code, string Text)> RunAsync(ChaosOptions options)
    {
        var buffer = new StringWriter();
        var code = await ChaosRun.RunAsync(
            options with { StateDirectory = _dir, ApiPortBase = LocalCluster.FreeApiPortBase(options.Nodes) },
            TextWriter.Synchronized(buffer),
            TimeProvider.System,
            CancellationToken.None);

        // Whatever the verdict, nothing of the run may be left.
        Assert.Empty(LocalCluster.LiveKept(Path.Combine(_dir, "chaos-run")));
        Assert.False(File.Exists(LocalCluster.PidFile(Path.Combine(_dir, "chaos-run"))));
        return (code, buffer.ToString());
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

/// <summary>
/// The chaos runs start three node processes each and inject timing faults: they run alone, after the other test
/// classes of this assembly, not beside the demo, dashboard and local-cluster tests (in one fresh-clone CI run the
/// targeted kill after Committed was not injected while those ran beside it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection
{
    public const string Name = "chaos (alone)";
}
