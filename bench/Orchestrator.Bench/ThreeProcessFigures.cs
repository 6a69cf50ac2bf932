using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;

namespace Orchestrator.Bench;

/// <summary>
/// control_overhead_ms_3proc and migrations_per_s_3proc: three <c>orchestrator node</c> processes on 127.0.0.1 with a
/// PostgreSQL journal (a fresh database per run, dropped at the end), driven over the HTTP API like a scheduler.
/// </summary>
internal sealed class ThreeProcessFigures(BenchOptions options, BenchReport report)
{
    internal const int Nodes = 3;
    internal const int VfsPerHost = 60;
    private readonly string _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Two cluster lifetimes, each on a fresh database: node default limits (the control overhead, and the throughput
    /// a default cluster gives, printed as a note), then limits raised so that none binds (the throughput key: the
    /// engine, not the admission policy).
    /// </summary>
    public async Task RunAsync()
    {
        await WithClusterAsync(engine: false, "", async cluster =>
        {
            var (clients, label) = (cluster.Clients, cluster.Label);
            await WarmUpAsync(clients);
            await SettleAsync(cluster, skip: 1);

            // Control overhead: one tiny VF (NVMe, 4 KiB, latency scale 0) back and forth between hosts of two nodes.
            var reps = options.Quick ? 10 : 30;
            var views = new List<JsonElement>();
            var target = "h4";
            for (var i = 0; i <= reps; i++)
            {
                var view = await MigrateAsync(clients[i % Nodes], "w0-0", target);
                if (i > 0)
                {
                    views.Add(view);
                }

                target = target == "h4" ? "h1" : "h4";
            }

            var wall = views.Select(v => Between(v, "Requested", "Completed")).ToList();
            report.Add("control_overhead_ms_3proc", Stats.Median(wall), "≤ 10", v => v <= 10,
                $"4 KiB NVMe VF, latency scale 0, 3 node processes, {label} journal: Requested→Completed median of {views.Count}, after the warm-up");
            report.Note("3-process steps: " + Breakdown(views));

            // The default limits' figure is a note: its failure must not keep the engine's figure from being measured.
            try
            {
                var policy = await ThroughputAsync(cluster, skip: 1);
                report.Note($"migrations_per_s_3proc with the node default limits (8 per cluster, 2 per host each way, 8 per PF): {Stats.F(policy.PerSecond, "0.##")}/s "
                    + $"({policy.Completed}/{policy.Total} in {Stats.F(policy.Seconds, "0.00")} s, {label} journal); CPU during the burst: {policy.Cpu}");
            }
            catch (Exception e) when (e is ApiException or TimeoutException or HttpRequestException)
            {
                report.Note($"migrations_per_s_3proc with the node default limits: not measured: {e.GetType().Name}: {e.Message}");
            }
        });

        await WithClusterAsync(engine: true, "", async cluster =>
        {
            var (clients, label) = (cluster.Clients, cluster.Label);
            await WarmUpAsync(clients);
            await SettleAsync(cluster, skip: 0);
            var engine = await ThroughputAsync(cluster, skip: 0);
            report.Add("migrations_per_s_3proc", engine.PerSecond, "≥ 500", v => v >= 500,
                $"{engine.Completed}/{engine.Total} tiny migrations started at once over HTTP, first Requested → last Completed {Stats.F(engine.Seconds, "0.00")} s; client wall {Stats.F(engine.ClientSeconds, "0.00")} s; "
                + $"limits raised so that none binds ({EngineLimit} per cluster, per host each way and per PF), after the warm-up, {label} journal");
            report.Note("3-process steps under load, limits raised: " + Breakdown(engine.Ends));
            report.Note($"3-process CPU during the burst, limits raised: {engine.Cpu}");
        });
    }

    /// <summary>Migrations of one VF there and back before anything is measured (see <see cref="WarmUpAsync"/>).</summary>
    private const int WarmUpRoundTrips = 6;

    /// <summary>
    /// A fresh process JITs every path the first time it runs it: measured on 3 new nodes, that took 2.4–3.9 s of CPU
    /// per node every 5 s for the first minute, most of both cores, so the figures measured the JIT. The keys are the
    /// engine's steady state: w0-0 goes there and back through each node's API first, and ends where it started.
    /// </summary>
    internal async Task WarmUpAsync(IReadOnlyList<OrchestratorApiClient> clients)
    {
        for (var i = 0; i < WarmUpRoundTrips; i++)
        {
            await MigrateAsync(clients[i % Nodes], "w0-0", "h4");
            await MigrateAsync(clients[(i + 1) % Nodes], "w0-0", "h1");
        }
    }

    /// <summary>A node is settled when it used less than this share of one core over <see cref="SettleWindow"/>.</summary>
    private const double SettledCpu = 0.15;

    private static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The rest of the warm-up: the burst's own paths (queues, batched journal writes, many coordinators at once) run
    /// once, there and back, and then the bench waits until every node is idle. One-VF round trips alone left the
    /// nodes running much of the burst in tier-0 code with the JIT busy beside it: measured so, the 3-process figures
    /// moved 2× with the JIT's progress (`DOTNET_TieredCompilation=0` on the nodes gave 69–100 ms of control overhead
    /// against 142–205 ms, 2026-12-05), not with the engine. Reported as a note: migrations, seconds and the nodes'
    /// CPU when settled.
    /// </summary>
    private async Task SettleAsync(Cluster cluster, int skip)
    {
        var watch = Stopwatch.StartNew();
        var there = BurstWorkloads(skip);
        var back = there.Select(w => (w.Workload, w.Home, Target: w.Home)).ToList();
        foreach (var leg in new[] { there, back })
        {
            var ends = await BurstAsync(cluster.Clients, leg, TimeSpan.FromSeconds(options.Quick ? 60 : 180));
            // Named with how each ended (or that it did not end in time), so that a failed run says what to look at.
            var astray = ends.Select((e, i) => (e, leg[i].Workload)).Where(x => x.e is not { } end || end.GetProperty("state").GetString() != "Completed")
                .Select(x => x.e is { } end ? $"{x.Workload} {end.GetProperty("state").GetString()} {end.GetProperty("reason")}" : $"{x.Workload} not ended in time").ToList();
            if (astray.Count > 0)
            {
                throw new InvalidOperationException($"warm-up: {astray.Count} migration(s) did not complete ({string.Join("; ", astray.Take(5))}…): the measured burst would start from elsewhere");
            }
        }

        var (settled, cpu) = await WaitIdleAsync(cluster.Processes, TimeSpan.FromSeconds(90));
        report.Note($"3-process warm-up ({cluster.Label}): {WarmUpRoundTrips * 2} one-VF migrations, then {there.Count + back.Count} in two bursts there and back, then "
            + (settled ? "every node idle" : "NOT idle after 90 s")
            + $" (CPU over the last {SettleWindow.TotalSeconds:0} s: {string.Join(" / ", cpu.Select(c => c.ToString("P0", CultureInfo.InvariantCulture)))} of a core) after {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Waits until every process used less than <see cref="SettledCpu"/> of a core over one window.</summary>
    private static async Task<(bool Settled, double[] Cpu)> WaitIdleAsync(IReadOnlyList<Process> processes, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        double[] cpu;
        do
        {
            var before = processes.Select(CpuTime).ToArray();
            var window = Stopwatch.StartNew();
            await Task.Delay(SettleWindow);
            cpu = [.. processes.Select((p, i) => (CpuTime(p) - before[i]).TotalSeconds / window.Elapsed.TotalSeconds)];
            if (cpu.All(c => c < SettledCpu))
            {
                return (true, cpu);
            }
        }
        while (watch.Elapsed < limit);

        return (false, cpu);
    }

    private static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>A limit no run of this bench reaches: the engine's throughput, not the admission policy's.</summary>
    private const int EngineLimit = 1000;

    private sealed record Throughput(int Completed, int Total, double Seconds, double ClientSeconds, JsonElement[] Ends, string Cpu)
    {
        public double PerSecond => Completed / Seconds;
    }

    /// <summary>
    /// Every VF of three source hosts (one per node) but the first <paramref name="skip"/> at once, each to a host of
    /// another node; first Requested to last Completed. Also says how much CPU the nodes and this process (the client:
    /// the starts and the polls) used from the first start to the last answer.
    /// </summary>
    private async Task<Throughput> ThroughputAsync(Cluster cluster, int skip)
    {
        var watch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(options.Quick ? 60 : 120);
        using var self = Process.GetCurrentProcess();
        var nodesBefore = cluster.Processes.Select(CpuTime).ToArray();
        var selfBefore = CpuTime(self);
        var workloads = BurstWorkloads(skip);
        var waited = await BurstAsync(cluster.Clients, workloads, deadline);
        var nodes = cluster.Processes.Select((p, i) => (CpuTime(p) - nodesBefore[i]).TotalSeconds).ToArray();
        var client = (CpuTime(self) - selfBefore).TotalSeconds;
        var cpu = $"nodes {string.Join(" / ", nodes.Select(n => Stats.F(n, "0.00")))} s ({Stats.F(nodes.Sum() * 1000 / workloads.Count, "0.0")} ms per migration), "
            + $"the bench's client {Stats.F(client, "0.00")} s ({Stats.F(client * 1000 / workloads.Count, "0.0")} ms per migration), over {Stats.F(watch.Elapsed.TotalSeconds, "0.00")} s";
        var ends = waited.OfType<JsonElement>().ToArray();
        var stuck = waited.Length - ends.Length;
        if (stuck > 0)
        {
            report.Note($"3-process throughput: {stuck} of {waited.Length} migrations had not ended {deadline.TotalSeconds} s after the start (see the report for where they stopped)");
        }

        if (ends.Length == 0)
        {
            throw new TimeoutException($"none of {waited.Length} migrations ended within {deadline}");
        }

        var completed = ends.Count(e => e.GetProperty("state").GetString() == "Completed");
        var seconds = (ends.Max(e => Checkpoint(e, -1)) - ends.Min(e => Checkpoint(e, 0))).TotalSeconds;
        return new Throughput(completed, waited.Length, seconds, watch.Elapsed.TotalSeconds, ends, cpu);
    }

    /// <summary>
    /// Starts every migration of <paramref name="workloads"/> at once, spread over the nodes' APIs, and waits for each to
    /// end: its last view, or null when it had not ended within <paramref name="deadline"/>.
    /// </summary>
    private static async Task<JsonElement?[]> BurstAsync(IReadOnlyList<OrchestratorApiClient> clients, IReadOnlyList<(string Workload, string Home, string Target)> workloads, TimeSpan deadline)
    {
        var ids = await Task.WhenAll(workloads.Select((w, i) => StartAsync(clients[i % Nodes], w.Workload, w.Target)));
        return await Task.WhenAll(ids.Select((id, i) => TryWaitEndAsync(clients[i % Nodes], id, deadline, 100)));
    }

    /// <summary>
    /// The burst: every VF of the three source hosts (one per node) but the first <paramref name="skip"/>, each from its
    /// home host to a host of another node.
    /// </summary>
    private List<(string Workload, string Home, string Target)> BurstWorkloads(int skip)
    {
        var workloads = new List<(string Workload, string Home, string Target)>();
        for (var h = 0; h < Nodes; h++)
        {
            for (var v = skip; v < VfsPerHost; v++)
            {
                workloads.Add(($"w{h}-{v}", $"h{h + 1}", $"h{h + 4}"));
            }
        }

        return options.Quick ? [.. workloads.Where((_, i) => i % 3 == 0)] : workloads;
    }

    /// <summary>
    /// What a run on the three nodes can reach: their APIs, their processes and log files, and the journal's connection
    /// string (PostgreSQL's, or <c>sqlite:PATH</c>) with its label.
    /// </summary>
    internal sealed record Cluster(IReadOnlyList<OrchestratorApiClient> Clients, IReadOnlyList<Process> Processes, IReadOnlyList<string> Logs, string Connection, string Label);

    /// <summary>
    /// Three node processes on a fresh journal for <paramref name="run"/>, with <paramref name="extraConfig"/> appended to
    /// every node's config file (limits raised when <paramref name="engine"/>); stopped, and the database dropped, after.
    /// The nodes are the chaos harness's and the demo's <see cref="LocalCluster"/>.
    /// </summary>
    internal async Task WithClusterAsync(bool engine, string extraConfig, Func<Cluster, Task> run)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orchestrator-bench-3p-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var (connection, database, label) = await JournalAsync(dir);
        LocalCluster? local = null;
        try
        {
            var topology = Path.Combine(dir, "topology.yaml");
            File.WriteAllText(topology, Topology(engine ? 63 : 8)); // 63: every VF of the PF at once
            local = LocalCluster.Prepare(NodeOptions(dir, connection, engine, extraConfig), topology, Nodes * 2, _token);
            local.Start();
            // The typed client a scheduler would use: it retries a lost answer with the request's Idempotency-Key.
            var clients = local.Nodes.Select(node => local.Client(node, _token, TimeSpan.FromSeconds(30))).ToList();
            using var dispose = new Disposables(clients);
            // Every host listed, then every node's /readyz: the placement authority and the shard coordinator answer (a
            // burst sent before they did waited on them and timed out).
            await local.WaitReadyAsync(TimeProvider.System, CancellationToken.None);
            foreach (var node in local.Nodes)
            {
                if (await local.WaitNodeReadyAsync(node, TimeSpan.FromSeconds(90), TimeProvider.System, CancellationToken.None) is (false, var why))
                {
                    throw new TimeoutException($"{node.Name} did not answer /readyz within 90 s: {why}");
                }
            }
            await run(new Cluster(clients, [.. local.Nodes.Select(n => n.Process!)], [.. local.Nodes.Select(n => n.LogPath)], connection, label));
        }
        finally
        {
            // ORCHESTRATOR_BENCH_KEEP_S=N keeps the nodes (and the database) N seconds after the figures, to inspect a stall.
            if (int.TryParse(Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_KEEP_S"), out var keep) && keep > 0)
            {
                report.Note($"3-process: keeping the nodes {keep} s in {dir} ({connection})");
                await Task.Delay(TimeSpan.FromSeconds(keep));
            }

            local?.Stop();
            if (database is not null)
            {
                await database.DisposeAsync();
            }

            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A log still open.
            }
        }
    }

    private async Task<(string Connection, ScratchDatabase? Database, string Label)> JournalAsync(string dir)
    {
        // The role deploy/local-cluster.sh creates, unless ORCHESTRATOR_PG / --postgres names another.
        var server = options.Postgres ?? "Host=127.0.0.1;Port=5432;Username=orchestrator;Password=orchestrator;Database=orchestrator_local";
        try
        {
            var database = await ScratchDatabase.CreateAsync("orchestrator_bench", server);
            return (database.ConnectionString, database, "PostgreSQL");
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or InvalidOperationException)
        {
            report.Note($"PostgreSQL not reachable ({e.Message}): the 3-process figures use one shared SQLite file instead");
            return ($"sqlite:{Path.Combine(dir, "journal.db")}", null, "SQLite");
        }
    }

    private LocalClusterOptions NodeOptions(string dir, string connection, bool engine, string extraConfig)
    {
        var limits = engine
            ? $"limits {{\n  per-host-outbound = {EngineLimit}\n  per-host-inbound = {EngineLimit}\n  per-pf = {EngineLimit}\n  per-cluster = {EngineLimit}\n}}\n"
            : "";
        // ORCHESTRATOR_BENCH_TRACES=DIR: every node appends its migration spans to DIR/<run>-node-N.spans.jsonl (kept after
        // the run), to see which hop of a step takes the time.
        var traces = Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_TRACES");
        var sqlite = connection.StartsWith("sqlite:", StringComparison.Ordinal);
        return new LocalClusterOptions
        {
            Nodes = Nodes,
            ApiPortBase = LocalCluster.FreeApiPortBase(Nodes),
            Seed = 7,
            LatencyScale = 0,
            StateDirectory = dir,
            DirectoryName = "cluster",
            NodeCommand = options.NodeCommand.Count > 0 ? options.NodeCommand : DefaultNodeCommand(),
            PersistenceProvider = sqlite ? "sqlite" : "postgres",
            ConnectionString = sqlite ? "Data Source=" + connection[7..] : connection,
            StartTimeout = TimeSpan.FromSeconds(90),
            ExtraConfig = (name, _) => limits + extraConfig
                + (traces is null ? "" : $"tracing {{\n  file = \"{LocalCluster.Hocon(Path.Combine(Path.GetFullPath(traces), $"{Path.GetFileName(dir)}-{name}.spans.jsonl"))}\"\n}}\n"),
            // Information logs every HTTP request: on 2 cores that is CPU the figures would pay for.
            // ORCHESTRATOR_BENCH_NODE_LOG (e.g. Information) raises it to diagnose a stall from the node logs.
            NodeEnvironment = new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_NODE_LOG") ?? "Warning",
            },
        };
    }

    /// <summary><c>dotnet artifacts/bin/orchestrator/orchestrator.dll</c> of this checkout (what <c>./run</c> builds).</summary>
    private static IReadOnlyList<string> DefaultNodeCommand()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "artifacts", "bin", "orchestrator", "orchestrator.dll");
            if (File.Exists(dll))
            {
                return ["dotnet", dll];
            }
        }

        throw new InvalidOperationException("artifacts/bin/orchestrator/orchestrator.dll not found: build it (./run bench does) or pass --node-command");
    }

    /// <summary>
    /// Six hosts, two per node; h1–h3 hold 60 one-VF workloads each on an NVMe PF (4 KiB state, STOP_COPY only, 8
    /// migrations per PF at default limits), h4–h6 are empty targets. Not hisi_acc: its 512 B pre-copy never converged here (predicted
    /// downtime ∞ after 30 rounds at latency scale 0), see the bench report.
    /// </summary>
    private static string Topology(int perPf)
    {
        var text = new StringBuilder("workloads:\n");
        for (var h = 0; h < Nodes; h++)
        {
            for (var v = 0; v < VfsPerHost; v++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  - id: w{h}-{v}\n");
            }
        }

        text.Append("hosts:\n");
        // LocalCluster gives the hosts to nodes in turn, in the order listed: h1–h3 to node-1–3, then h6, h4, h5, so that
        // h1 and h4 are on different nodes, and so on: every migration crosses processes.
        foreach (var h in new[] { 1, 2, 3, 6, 4, 5 })
        {
            var node = h > Nodes ? ((h - Nodes) % Nodes) + 1 : h;
            text.Append(CultureInfo.InvariantCulture, $"  - id: h{h}\n    node: node-{node}\n    pfs:\n      - address: \"0000:5e:00.0\"\n        driver: nvme\n        deviceType: NVMe TP4159\n        firmware: \"2.1\"\n        maxVfs: 63\n        maxConcurrentMigrations: {perPf}\n        profiles: [ctrl-4k]\n");
            if (h <= Nodes)
            {
                text.Append("        vfs:\n");
                for (var v = 0; v < VfsPerHost; v++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"          - {{ index: {v}, kind: vfio, profile: ctrl-4k, workload: w{h - 1}-{v} }}\n");
                }
            }
        }

        return text.ToString();
    }

    internal static async Task<string> StartAsync(OrchestratorApiClient client, string workload, string target)
    {
        // One key for every attempt, as a scheduler retries: when an answer is lost (a 503 under load) the client's retry
        // gets the migration the first attempt started, not a 409 against it.
        var key = $"{workload}-{target}-{Guid.NewGuid():N}";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await client.StartMigrationAsync(workload, target, key)).Value.Id;
            }
            catch (ApiException e) when (e.Kind == ApiErrorKind.Conflict && attempt <= 200)
            {
                // 409 while the directory still shows the previous migration of this workload.
                await Task.Delay(20);
            }
        }
    }

    private async Task<JsonElement> MigrateAsync(OrchestratorApiClient client, string workload, string target)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = await StartAsync(client, workload, target);
            var end = await WaitEndAsync(client, id, TimeSpan.FromSeconds(60), 5);
            if (end.GetProperty("state").GetString() == "Completed")
            {
                return end;
            }

            var reason = end.GetProperty("reason").ToString();
            // The placement authority's directory can lag behind the VF the previous migration created: try again.
            if (attempt < 5 && reason.Contains("SourceVfNotFound", StringComparison.Ordinal))
            {
                report.Note($"3-process: {id} rolled back on a lagging directory ({reason}); retried");
                await Task.Delay(250);
                continue;
            }

            throw new InvalidOperationException($"{id}: {end.GetProperty("state").GetString()} {reason}");
        }
    }

    private static async Task<JsonElement?> TryWaitEndAsync(OrchestratorApiClient client, string id, TimeSpan timeout, int pollMs)
    {
        try
        {
            return await WaitEndAsync(client, id, timeout, pollMs);
        }
        catch (Exception e) when (e is TimeoutException or ApiException or TaskCanceledException)
        {
            return null;
        }
    }

    internal static async Task<JsonElement> WaitEndAsync(OrchestratorApiClient client, string id, TimeSpan timeout, int pollMs)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // The raw document: the figures read its checkpoints and steps as the API wrote them.
                var view = JsonDocument.Parse((await client.GetMigrationAsync(id)).Json).RootElement.Clone();
                if (view.GetProperty("terminal").GetBoolean())
                {
                    return view;
                }

                last = $"{view.GetProperty("state")}/{view.GetProperty("step")} since {view.GetProperty("updatedAt")}, last error {view.GetProperty("lastError")}";
            }
            catch (ApiException e)
            {
                last = $"{e.Message} from {client.BaseAddress}";
            }

            await Task.Delay(pollMs);
        }

        throw new TimeoutException($"migration {id} did not end within {timeout}; last seen {last}");
    }

    private sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    private static DateTimeOffset Checkpoint(JsonElement view, int index)
    {
        var checkpoints = view.GetProperty("checkpoints");
        var i = index < 0 ? checkpoints.GetArrayLength() + index : index;
        return checkpoints[i].GetProperty("at").GetDateTimeOffset();
    }

    private static double Between(JsonElement view, string from, string to)
    {
        DateTimeOffset? a = null, b = null;
        foreach (var c in view.GetProperty("checkpoints").EnumerateArray())
        {
            var state = c.GetProperty("state").GetString();
            if (state == from)
            {
                a = c.GetProperty("at").GetDateTimeOffset();
            }

            if (state == to)
            {
                b = c.GetProperty("at").GetDateTimeOffset();
            }
        }

        return a is { } x && b is { } y ? (y - x).TotalMilliseconds : double.NaN;
    }

    private static string Breakdown(IReadOnlyList<JsonElement> views)
    {
        var steps = views[0].GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("state").GetString()!).ToList();
        var parts = new List<string>();
        for (var i = 1; i < steps.Count; i++)
        {
            var (from, to) = (steps[i - 1], steps[i]);
            parts.Add($"{from}→{to} {Stats.F(Stats.Median(views.Select(v => Between(v, from, to))), "0.0")}");
        }

        return string.Join(", ", parts) + " (ms, median)";
    }
}
