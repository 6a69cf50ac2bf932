using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Devices.Topology;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Tests.Tracing;

/// <summary>
/// Traces on real processes: three <c>orchestrator node</c> processes, each exporting its spans to a JSON Lines file
/// (<c>tracing.file</c>), one migration from host-a (node-1) to host-b (node-2).
/// </summary>
public sealed class MigrationTraceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-traces-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The policy of a test about something else than downtime: three node processes on a CI machine shared with
    /// the build take hundreds of milliseconds per hop, so an honest prediction can stay over the default 300 ms limit
    /// and the default policy would roll the migration back (NonConvergence), as the demo's policy also avoids.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, object?> SwitchOverWhateverTheDowntime = new Dictionary<string, object?>
    {
        ["maxPreCopyRounds"] = 10,
        ["nonConvergenceAction"] = "force",
    };

    [Fact]
    public async Task One_migration_across_three_node_processes_is_one_trace_with_spans_from_several_processes()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var options = new LocalClusterOptions
        {
            Nodes = 3,
            ApiPortBase = LocalCluster.FreeApiPortBase(3),
            StateDirectory = _dir,
            Quick = true,
            DirectoryName = "traces",
            ExtraConfig = (name, dir) => $"tracing.file = \"{LocalCluster.Hocon(LocalCluster.SpansPath(dir, name))}\"",
        };
        var cluster = LocalCluster.Prepare(options, DemoTopology.Find()!, 3, token);
        try
        {
            cluster.Start();
            using var start = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await cluster.WaitReadyAsync(TimeProvider.System, start.Token);

            // Through node-3's API: it runs neither PF of this migration.
            using var api = new OrchestratorApiClient(cluster.Nodes[2].Api, token);
            var id = (await api.StartMigrationAsync("vm-crypto", "host-b", SwitchOverWhateverTheDowntime, "trace-vm-crypto")).Value.Id;
            var end = await WaitForEndAsync(api, id);
            Assert.True(end.State == ApiMigration.Completed, $"{id} ended {end.State}: {end.Reason}");

            // Each span is in its file when it ends; the coordinator's last step span ends as the migration does.
            var spans = await WaitForSpansAsync(cluster, id, s => s.Any(x => x.Name.StartsWith("pf ", StringComparison.Ordinal) && x.Node == "node-2")
                && s.Any(x => x.Name == "migration.start") && s.Any(x => x.Outcome == "Completed")
                && s.Any(x => x.Name == "state-stream receive"));
            var trace = MigrationTracing.TraceIdOf(MigrationId.Parse(id, null)).ToHexString();
            Assert.All(spans, s => Assert.Equal(trace, s.TraceId));
            Assert.True(spans.Select(s => s.Node).Distinct().Count() >= 2, Describe(spans));

            // The start is the root; the source PF's steps ran on node-1 and the target PF's on node-2, each under the
            // coordinator step that sent it; the step spans are under the start while their coordinator lives.
            // (A retried POST would add a second start to the same trace, and a second root.)
            var roots = spans.Where(s => s.Name == "migration.start").ToList();
            Assert.NotEmpty(roots);
            Assert.All(roots, r => Assert.True(r.Parent is null && r.Node == "node-3", Describe(spans)));
            var ids = spans.ToDictionary(s => s.SpanId);
            var pfSpans = spans.Where(s => s.Name.StartsWith("pf ", StringComparison.Ordinal)).ToList();
            Assert.Contains(pfSpans, s => s.Node == "node-1" && s.Name == "pf stop-copy" && s.Bytes > 0);
            Assert.Contains(pfSpans, s => s.Node == "node-2" && s.Name == "pf prepare-target");
            Assert.All(pfSpans, s => Assert.True(s.Parent is { } p && ids.TryGetValue(p, out var step) && step.Name.StartsWith("step ", StringComparison.Ordinal), Describe(spans)));
            Assert.Contains(spans, s => s.Name == "step StopAndCopy" && roots.Any(r => r.SpanId == s.Parent));

            // The trace crosses the state stream: the target's span of it is a child of the source PF's step that
            // opened the stream (the Hello carries its context).
            var received = Assert.Single(spans, s => s.Name == "state-stream receive");
            Assert.True(received.Node == "node-2" && received.Bytes > 0, Describe(spans));
            Assert.True(
                received.Parent is { } opener && ids.TryGetValue(opener, out var opened) && opened.Node == "node-1" && opened.Name is "pf start-pre-copy" or "pf stop-copy",
                Describe(spans));
            Assert.All(spans, s => Assert.Equal(id, s.Migration));
        }
        finally
        {
            cluster.Stop();
        }
    }

    /// <summary>Polls the migration until it ended, or 60 s passed (then it is returned as it is).</summary>
    internal static async Task<ApiMigration> WaitForEndAsync(OrchestratorApiClient api, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var m = (await api.GetMigrationAsync(id)).Value;
            if (m.IsTerminal || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                return m;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<List<Span>> WaitForSpansAsync(LocalCluster cluster, string migration, Func<List<Span>, bool> complete)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spans = cluster.Nodes.SelectMany(n => Read(LocalCluster.SpansPath(cluster.WorkDirectory, n.Name))).Where(s => s.Migration == migration).ToList();
            if (complete(spans) || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                return spans;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static IEnumerable<Span> Read(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (!line.EndsWith('}'))
            {
                continue; // being written
            }

            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var attributes = e.GetProperty("attributes");
            yield return new Span(
                e.GetProperty("traceId").GetString()!,
                e.GetProperty("spanId").GetString()!,
                e.GetProperty("parentSpanId").GetString(),
                e.GetProperty("name").GetString()!,
                e.GetProperty("node").GetString()!,
                attributes.TryGetProperty(MigrationTracing.MigrationAttribute, out var m) ? m.GetString() : null,
                attributes.TryGetProperty(MigrationTracing.OutcomeAttribute, out var o) ? o.GetString() : null,
                attributes.TryGetProperty(MigrationTracing.BytesAttribute, out var b) ? b.GetInt64() : 0);
        }
    }

    private static string Describe(IEnumerable<Span> spans) =>
        string.Join(Environment.NewLine, spans.Select(s => $"{s.Node} {s.Name} {s.SpanId} <- {s.Parent ?? "(root)"}"));

    private sealed record Span(string TraceId, string SpanId, string? Parent, string Name, string Node, string? Migration, string? Outcome, long Bytes);
}
