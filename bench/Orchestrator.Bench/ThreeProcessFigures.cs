using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Bench;

/// <summary>
/// control_overhead_ms_3proc and migrations_per_s_3proc: three <c>orchestrator node</c> processes on 127.0.0.1 with a
/// PostgreSQL journal (a fresh database per run, dropped at the end), driven over the HTTP API like a scheduler.
/// </summary>
internal sealed class ThreeProcessFigures(BenchOptions options, BenchReport report)
{
    private const int Nodes = 3;
    private const int VfsPerHost = 60;
    private readonly List<Process> _processes = [];
    private readonly string _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Two cluster lifetimes, each on a fresh database: node default limits (the control overhead, and the throughput
    /// a default cluster gives, printed as a note), then limits raised so that none binds (the throughput key: the
    /// engine, not the admission policy).
    /// </summary>
    public async Task RunAsync()
    {
        await WithClusterAsync(engine: false, async (clients, label) =>
        {
            await WarmUpAsync(clients);

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
                $"4 KiB NVMe VF, latency scale 0, 3 node processes, {label} journal: Requested→Completed median of {views.Count}, after a warm-up of {WarmUpRoundTrips * 2} migrations");
            report.Note("3-process steps: " + Breakdown(views));

            // The default limits' figure is a note: its failure must not keep the engine's figure from being measured.
            try
            {
                var policy = await ThroughputAsync(clients, skip: 1);
                report.Note($"migrations_per_s_3proc with the node default limits (8 per cluster, 2 per host each way, 8 per PF): {Stats.F(policy.PerSecond, "0.##")}/s "
                    + $"({policy.Completed}/{policy.Total} in {Stats.F(policy.Seconds, "0.00")} s, {label} journal)");
            }
            catch (Exception e) when (e is ApiException or TimeoutException or HttpRequestException)
            {
                report.Note($"migrations_per_s_3proc with the node default limits: not measured: {e.GetType().Name}: {e.Message}");
            }
        });

        await WithClusterAsync(engine: true, async (clients, label) =>
        {
            await WarmUpAsync(clients);
            var engine = await ThroughputAsync(clients, skip: 0);
            report.Add("migrations_per_s_3proc", engine.PerSecond, "≥ 500", v => v >= 500,
                $"{engine.Completed}/{engine.Total} tiny migrations started at once over HTTP, first Requested → last Completed {Stats.F(engine.Seconds, "0.00")} s; client wall {Stats.F(engine.ClientSeconds, "0.00")} s; "
                + $"limits raised so that none binds ({EngineLimit} per cluster, per host each way and per PF), after a warm-up of {WarmUpRoundTrips * 2} migrations, {label} journal");
            report.Note("3-process steps under load, limits raised: " + Breakdown(engine.Ends));
        });
    }

    /// <summary>Migrations of one VF there and back before anything is measured (see <see cref="WarmUpAsync"/>).</summary>
    private const int WarmUpRoundTrips = 6;

    /// <summary>
    /// A fresh process JITs every path the first time it runs it: measured on 3 new nodes, that took 2.4–3.9 s of CPU
    /// per node every 5 s for the first minute, most of both cores, so the figures measured the JIT. The keys are the
    /// engine's steady state: w0-0 goes there and back through each node's API first, and ends where it started.
    /// </summary>
    private async Task WarmUpAsync(IReadOnlyList<OrchestratorApiClient> clients)
    {
        for (var i = 0; i < WarmUpRoundTrips; i++)
        {
            await MigrateAsync(clients[i % Nodes], "w0-0", "h4");
            await MigrateAsync(clients[(i + 1) % Nodes], "w0-0", "h1");
        }
    }

    /// <summary>A limit no run of this bench reaches: the engine's throughput, not the admission policy's.</summary>
    private const int EngineLimit = 1000;

    private sealed record Throughput(int Completed, int Total, double Seconds, double ClientSeconds, JsonElement[] Ends)
    {
        public double PerSecond => Completed / Seconds;
    }

    /// <summary>
    /// Every VF of three source hosts (one per node) but the first <paramref name="skip"/> at once, each to a host of
    /// another node; first Requested to last Completed.
    /// </summary>
    private async Task<Throughput> ThroughputAsync(IReadOnlyList<OrchestratorApiClient> clients, int skip)
    {
        var workloads = new List<(string Workload, string Target)>();
        for (var h = 0; h < Nodes; h++)
        {
            for (var v = skip; v < VfsPerHost; v++)
            {
                workloads.Add(($"w{h}-{v}", $"h{h + 4}"));
            }
        }

        if (options.Quick)
        {
            workloads = [.. workloads.Where((_, i) => i % 3 == 0)];
        }

        var watch = Stopwatch.StartNew();
        var starts = workloads.Select((w, i) => StartAsync(clients[i % Nodes], w.Workload, w.Target)).ToList();
        var ids = await Task.WhenAll(starts);
        var deadline = TimeSpan.FromSeconds(options.Quick ? 60 : 120);
        var waited = await Task.WhenAll(ids.Select((id, i) => TryWaitEndAsync(clients[i % Nodes], id, deadline, 100)));
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
        return new Throughput(completed, waited.Length, seconds, watch.Elapsed.TotalSeconds, ends);
    }

    /// <summary>Three node processes on a fresh journal for <paramref name="run"/>; stopped, and the database dropped, after.</summary>
    private async Task WithClusterAsync(bool engine, Func<IReadOnlyList<OrchestratorApiClient>, string, Task> run)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orchestrator-bench-3p-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var (connection, dropDatabase, label) = await JournalAsync(dir);
        try
        {
            var apis = StartNodes(dir, connection, engine);
            // The typed client a scheduler would use: it retries a lost answer with the request's Idempotency-Key.
            var clients = apis.Select(api => new OrchestratorApiClient(api, _token, timeout: TimeSpan.FromSeconds(30))).ToList();
            using var dispose = new Disposables(clients);
            await WaitReadyAsync(clients, TimeSpan.FromSeconds(90));
            await run(clients, label);
        }
        finally
        {
            // ORCHESTRATOR_BENCH_KEEP_S=N keeps the nodes (and the database) N seconds after the figures, to inspect a stall.
            if (int.TryParse(Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_KEEP_S"), out var keep) && keep > 0)
            {
                report.Note($"3-process: keeping the nodes {keep} s in {dir} ({connection})");
                await Task.Delay(TimeSpan.FromSeconds(keep));
            }

            StopNodes();
            await dropDatabase();
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

    private async Task<(string Connection, Func<Task> Drop, string Label)> JournalAsync(string dir)
    {
        // The role deploy/local-cluster.sh creates, unless ORCHESTRATOR_PG / --postgres names another.
        var given = options.Postgres ?? "Host=127.0.0.1;Port=5432;Username=orchestrator;Password=orchestrator;Database=orchestrator_local";
        // CREATE and DROP DATABASE from the maintenance database, which every server has (the named one may not exist yet).
        var admin = new NpgsqlConnectionStringBuilder(given) { Database = "postgres" }.ConnectionString;
        var database = "orchestrator_bench_" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await using (var conn = new NpgsqlConnection(admin))
            {
                await conn.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", conn);
                await create.ExecuteNonQueryAsync();
            }

            var builder = new NpgsqlConnectionStringBuilder(admin) { Database = database };
            return (builder.ConnectionString, async () =>
            {
                NpgsqlConnection.ClearAllPools();
                await using var conn = new NpgsqlConnection(admin);
                await conn.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await drop.ExecuteNonQueryAsync();
            }, "PostgreSQL");
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or InvalidOperationException)
        {
            report.Note($"PostgreSQL not reachable ({e.Message}): the 3-process figures use one shared SQLite file instead");
            return ($"sqlite:{Path.Combine(dir, "journal.db")}", () => Task.CompletedTask, "SQLite");
        }
    }

    private List<Uri> StartNodes(string dir, string connection, bool engine)
    {
        var topology = Path.Combine(dir, "topology.yaml");
        File.WriteAllText(topology, Topology(engine ? 63 : 8)); // 63: every VF of the PF at once
        var limits = engine
            ? $"limits {{\n  per-host-outbound = {EngineLimit}\n  per-host-inbound = {EngineLimit}\n  per-pf = {EngineLimit}\n  per-cluster = {EngineLimit}\n}}\n"
            : "";
        var akka = LoopbackPorts.Free(Nodes * 3);
        var management = akka.Skip(Nodes * 2).Order().ToList(); // node-1 lowest: it forms the cluster
        var contactPoints = string.Join(", ", management.Select(p => $"\"127.0.0.1:{p}\""));
        var (provider, conn) = connection.StartsWith("sqlite:", StringComparison.Ordinal) ? ("sqlite", "Data Source=" + connection[7..]) : ("postgres", connection);
        var command = options.NodeCommand.Count > 0 ? options.NodeCommand : DefaultNodeCommand();
        // ORCHESTRATOR_BENCH_TRACES=DIR: every node appends its migration spans to DIR/<run>-node-N.spans.jsonl (kept after
        // the run), to see which hop of a step takes the time.
        var traces = Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_TRACES");
        var apis = new List<Uri>();
        for (var i = 0; i < Nodes; i++)
        {
            var name = $"node-{i + 1}";
            var api = new Uri($"http://127.0.0.1:{akka[Nodes + i]}");
            apis.Add(api);
            var config = Path.Combine(dir, name + ".conf");
            File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
                node {
                  name = "{{name}}"
                  hostname = "127.0.0.1"
                  port = {{akka[i]}}
                  topology = "{{topology}}"
                  latency-scale = 0
                  seed = 7
                }
                cluster {
                  contact-points = [{{contactPoints}}]
                  management-port = {{management[i]}}
                  bootstrap-stable-margin = 1s
                  roles = [coordinator, hosts]
                }
                persistence {
                  provider = {{provider}}
                  connection-string = "{{conn}}"
                }
                api {
                  url = "{{api.ToString().TrimEnd('/')}}"
                  token = "{{_token}}"
                }
                {{limits}}
                {{(traces is null ? "" : $"tracing {{\n  file = \"{Path.Combine(Path.GetFullPath(traces), $"{Path.GetFileName(dir)}-{name}.spans.jsonl")}\"\n}}\n")}}
                """));
            var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var part in command.Skip(1))
            {
                start.ArgumentList.Add(part);
            }

            start.ArgumentList.Add("node");
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(config);
            start.Environment["DOTNET_gcServer"] = "0";
            // Information logs every HTTP request: on 2 cores that is CPU the figures would pay for.
            // ORCHESTRATOR_BENCH_NODE_LOG (e.g. Information) raises it to diagnose a stall from the node logs.
            start.Environment["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("ORCHESTRATOR_BENCH_NODE_LOG") ?? "Warning";
            start.WorkingDirectory = dir;
            var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {string.Join(' ', command)}");
            var logFile = new StreamWriter(Path.Combine(dir, name + ".log")) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => Log(logFile, e.Data);
            process.ErrorDataReceived += (_, e) => Log(logFile, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _processes.Add(process);
        }

        return apis;
    }

    private static void Log(StreamWriter file, string? line)
    {
        if (line is not null)
        {
            lock (file)
            {
                file.WriteLine(line);
            }
        }
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

    private void StopNodes()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        _processes.Clear();
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
        for (var h = 1; h <= Nodes * 2; h++)
        {
            // h1 and h4 on different nodes, and so on: every migration crosses processes.
            var node = ((h - 1) % Nodes) + 1;
            node = h > Nodes ? (node % Nodes) + 1 : node;
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

    private static async Task WaitReadyAsync(IReadOnlyList<OrchestratorApiClient> clients, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var client in clients)
        {
            while (true)
            {
                try
                {
                    // Every host listed, and /readyz: the placement authority and the shard coordinator answer (a burst
                    // sent before they did waited on them and timed out).
                    if ((await client.GetHostsAsync()).Value.Count >= Nodes * 2 && await client.NotReadyAsync() is null)
                    {
                        break;
                    }
                }
                catch (ApiException)
                {
                    // Not listening, or not Up yet.
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{client.BaseAddress} did not show {Nodes * 2} hosts and answer /readyz within {timeout}");
                }

                await Task.Delay(250);
            }
        }
    }

    private static async Task<string> StartAsync(OrchestratorApiClient client, string workload, string target)
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

    private static async Task<JsonElement> WaitEndAsync(OrchestratorApiClient client, string id, TimeSpan timeout, int pollMs)
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
