using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Orchestrator.Cluster.History;
using Orchestrator.Devices.Topology;
using Orchestrator.Node.Cli.Client;
using Orchestrator.Node.Demo;

namespace Orchestrator.Node.Chaos;

/// <summary>
/// <c>orchestrator chaos</c>: starts a cluster of node processes (<see cref="DemoCluster"/>), each writing its history;
/// a client requests migrations (and aborts some) through the API and records every operation with its outcome; a
/// fault schedule drawn from the seed kills, pauses, partitions nodes, restarts PostgreSQL and faults devices, one
/// fault at a time, each recorded with its start and end. Then it heals everything, waits for every migration to end,
/// stops the nodes, merges the histories and runs <see cref="HistoryChecker"/>. Exit 0 when every invariant holds,
/// 1 on a violation, 2 for bad input, 4 when the API ports are taken.
/// </summary>
internal sealed class ChaosRun : IDisposable
{
    private readonly ChaosOptions _options;
    private readonly TextWriter _out;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly List<string> _notes = [];
    private readonly List<string> _migrations = [];
    private readonly Dictionary<string, string> _workloadHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hostNode = new(StringComparer.Ordinal);
    private readonly List<(string Pf, string Host)> _pfs = [];
    private DemoCluster _cluster = null!;
    private HistoryWriter? _client;
    private Partitions? _partitions;
    private int _faultSeq;
    private ClientOutcome _lastOutcome;

    private ChaosRun(ChaosOptions options, TextWriter output, TimeProvider time)
    {
        _options = options;
        _out = output;
        _time = time;
        _random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
    }

    public static async Task<int> RunAsync(ChaosOptions options, TextWriter output, TimeProvider time, CancellationToken ct)
    {
        var errors = options.Validate().ToList();
        var topologyPath = options.Topology ?? DeviceDemo.FindDefaultTopology();
        if (topologyPath is null || !File.Exists(topologyPath))
        {
            errors.Add($"--topology: file not found: '{topologyPath ?? "cluster-config/demo-topology.yaml"}'");
        }

        var loaded = errors.Count == 0 ? TopologyLoader.TryLoad(topologyPath!) : null;
        if (loaded is { Topology: null })
        {
            errors.AddRange(loaded.Errors.Select(e => e.ToString()));
        }

        if (errors.Count > 0)
        {
            errors.ForEach(e => output.WriteLine($"orchestrator chaos: {e}"));
            return ExitCodes.BadInput;
        }

        var busy = Enumerable.Range(options.ApiPortBase, options.Nodes).Where(DemoCluster.PortInUse).ToList();
        if (busy.Count > 0)
        {
            output.WriteLine($"orchestrator chaos: --api-port-base: port(s) {string.Join(", ", busy)} on 127.0.0.1 are in use; give another --api-port-base");
            return ExitCodes.Conflict;
        }

        using var run = new ChaosRun(options, output, time);
        return await run.RunAsync(topologyPath!, loaded!.Topology!.Hosts.Count, ct);
    }

    public void Dispose() => _client?.Dispose();

    private async Task<int> RunAsync(string topologyPath, int hostCount, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        using var database = _options.Db == "postgres" ? await ChaosDatabase.CreateAsync(_options.Seed, ct) : null;
        var demo = new DemoOptions
        {
            Nodes = _options.Nodes,
            ApiPortBase = _options.ApiPortBase,
            Seed = _options.Seed,
            StateDirectory = Path.Combine(_options.StateDirectory, "chaos-run"),
            NodeCommand = _options.NodeCommand,
            StartTimeout = TimeSpan.FromSeconds(90),
        };
        _cluster = DemoCluster.Prepare(demo, topologyPath, hostCount, token, new ClusterExtras
        {
            DirectoryName = "chaos",
            LatencyScale = 0.2,
            PersistenceProvider = database is null ? null : "postgres",
            ConnectionString = database?.ConnectionString,
            ExtraConfig = (name, dir) => string.Create(CultureInfo.InvariantCulture, $$"""
                runtime { step-timeout = 10s }
                history { path = "{{Hocon(Path.Combine(dir, "history", name + ".jsonl"))}}" }
                devices { state-dir = "{{Hocon(Path.Combine(dir, "devices"))}}" }
                chaos {
                  fault-api = on
                  unsafe-skip-commit-checkpoint = {{(_options.UnsafeSkipCommitCheckpoint ? "on" : "off")}}
                }
                """),
        });
        var historyDir = Path.Combine(_cluster.WorkDirectory, "history");
        Directory.CreateDirectory(historyDir);
        _client = new HistoryWriter(Path.Combine(historyDir, "client.jsonl"), "client", _time);
        var faults = _options.Faults.ToHashSet(StringComparer.Ordinal);
        if (faults.Contains("db") && database is null)
        {
            Note("db faults need --db postgres: skipped (SQLite is a file, there is no server to restart)");
            faults.Remove("db");
        }

        if (faults.Contains("partition"))
        {
            _partitions = Partitions.TryCreate(out var why);
            if (_partitions is null)
            {
                Note($"partition faults skipped: {why}");
                faults.Remove("partition");
            }
        }

        using var guard = new ExitGuard(this);
        CheckReport? report = null;
        try
        {
            _out.WriteLine($"chaos: seed {_options.Seed}, {_options.Nodes} nodes, {_options.Duration.TotalSeconds:0} s, {_options.Migrations} migrations, faults {string.Join(",", faults.Order(StringComparer.Ordinal))}, db {_options.Db}{(_options.UnsafeSkipCommitCheckpoint ? ", UNSAFE build (skips the Committed checkpoint)" : "")}");
            _out.WriteLine($"chaos: run directory {_cluster.WorkDirectory}");
            _cluster.Start();
            await _cluster.WaitReadyAsync(_time, ct);
            _out.WriteLine($"chaos: cluster up after {watch.Elapsed.TotalSeconds:0.0} s");
            await ReadInventoryAsync(ct);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(_options.Duration);
            var clientLoop = ClientLoopAsync(stop.Token);
            var faultLoop = FaultLoopAsync([.. faults.Order(StringComparer.Ordinal)], database, stop.Token, ct);
            await Task.WhenAll(clientLoop, faultLoop);
            _out.WriteLine($"chaos: faults over after {watch.Elapsed.TotalSeconds:0.0} s; settling");
            await SettleAsync(ct);
        }
        catch (DemoFailure e)
        {
            Note($"harness failure: {e.Message}");
        }
        finally
        {
            HealAll();
            _cluster.Stop();
            _client.Dispose();
        }

        var files = Directory.GetFiles(historyDir, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        var read = HistoryReader.ReadFiles(files);
        report = HistoryChecker.Check(read.Records, new CheckOptions { SettleBound = _options.SettleTimeout + TimeSpan.FromSeconds(30) });
        var reportPath = _options.Report ?? Path.Combine(_cluster.WorkDirectory, "report.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
        await File.WriteAllTextAsync(reportPath, report.ToJson(), CancellationToken.None);
        _out.WriteLine(report.ToText());
        foreach (var note in _notes)
        {
            _out.WriteLine($"note: {note}");
        }

        var harnessFailed = _notes.Any(n => n.StartsWith("harness failure", StringComparison.Ordinal));
        _out.WriteLine($"chaos: {(report.IsSuccess && !harnessFailed ? "PASSED" : "FAILED")}: {read.Records.Count} records from {files.Count} histories, report {reportPath}; took {watch.Elapsed.TotalSeconds:0.0} s");
        if (report.IsSuccess && !harnessFailed && _options.CleanOnSuccess)
        {
            Directory.Delete(Path.GetFullPath(demo.StateDirectory), recursive: true);
        }

        return report.IsSuccess && !harnessFailed ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private async Task ReadInventoryAsync(CancellationToken ct)
    {
        using var api = Client(_cluster.Nodes[0]);
        var hosts = await api.GetHostsAsync(ct);
        foreach (var host in hosts.Value)
        {
            _hostNode[host.Id] = host.Node ?? string.Empty;
            foreach (var pf in host.PfList)
            {
                _pfs.Add((pf.Id, host.Id));
                foreach (var vf in pf.VfList.Where(v => v.Workload is not null))
                {
                    _workloadHost[vf.Workload!] = host.Id;
                }
            }
        }

        _out.WriteLine($"chaos: {_hostNode.Count} hosts, {_pfs.Count} PFs, {_workloadHost.Count} workloads");
    }

    private async Task ClientLoopAsync(CancellationToken stop)
    {
        var workloads = _workloadHost.Keys.Order(StringComparer.Ordinal).ToList();
        if (_options.Migrations == 0 || workloads.Count == 0)
        {
            return;
        }

        var gap = _options.Duration / (_options.Migrations * 2);
        var open = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < _options.Migrations && !stop.IsCancellationRequested; i++)
        {
            var node = _cluster.Nodes[_random.Next(_cluster.Nodes.Count)];
            var workload = workloads[_random.Next(workloads.Count)];
            if (open.Count > 0 && _random.Next(5) == 0)
            {
                var (w, id) = open.ElementAt(_random.Next(open.Count));
                await ClientOpAsync("abort", w, id, node, api => api.AbortAsync(id, CancellationToken.None));
                open.Remove(w);
            }
            else
            {
                var key = $"chaos-{_options.Seed}-{i}";
                var id = await ClientOpAsync("migrate", workload, null, node, async api => (await api.StartMigrationAsync(workload, null, key, CancellationToken.None)).Value.Id);
                if (id is null && _lastOutcome == ClientOutcome.Indeterminate)
                {
                    // A real client retries a lost answer with the same key on another node: at most one migration results.
                    var other = _cluster.Nodes[(_cluster.Nodes.ToList().IndexOf(node) + 1) % _cluster.Nodes.Count];
                    id = await ClientOpAsync("migrate", workload, null, other, async api => (await api.StartMigrationAsync(workload, null, key, CancellationToken.None)).Value.Id);
                }

                if (id is not null)
                {
                    lock (_migrations)
                    {
                        _migrations.Add(id);
                    }

                    open[workload] = id;
                }
            }

            try
            {
                await Task.Delay(gap, _time, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<string?> ClientOpAsync<T>(string op, string workload, string? migration, DemoNode node, Func<OrchestratorApiClient, Task<T>> call)
    {
        var start = _time.GetUtcNow();
        using var api = Client(node);
        ClientOutcome outcome;
        string? detail = null;
        string? id = migration;
        try
        {
            var result = await call(api);
            outcome = ClientOutcome.Ok;
            id ??= result as string;
        }
        catch (ApiException e) when (e.Kind is ApiErrorKind.BadInput or ApiErrorKind.NotFound or ApiErrorKind.Conflict)
        {
            outcome = ClientOutcome.Failed;
            detail = $"{e.Status}: {e.Message}";
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            // No answer, 5xx or 503 while the node is not ready: the operation may or may not have happened.
            outcome = ClientOutcome.Indeterminate;
            detail = $"{node.Name}: {e.Message}";
        }

        _client!.Append(new ClientOperation
        {
            Op = op,
            Workload = workload,
            Migration = id,
            Outcome = outcome,
            Start = start,
            End = _time.GetUtcNow(),
            Detail = detail is { Length: > 300 } ? detail[..300] : detail,
        });
        _lastOutcome = outcome;
        return outcome == ClientOutcome.Ok ? id : null;
    }

    private async Task FaultLoopAsync(IReadOnlyList<string> kinds, ChaosDatabase? database, CancellationToken stop, CancellationToken ct)
    {
        if (kinds.Count == 0)
        {
            return;
        }

        var round = 0;
        while (!stop.IsCancellationRequested)
        {
            if (!await DelayAsync(TimeSpan.FromMilliseconds(1500 + _random.Next(2500)), stop))
            {
                return;
            }

            // Every kind once in a seeded order first, then seeded picks: a short run still sees each kind.
            var kind = round < kinds.Count ? kinds[(round + (int)(_options.Seed % (ulong)kinds.Count)) % kinds.Count] : kinds[_random.Next(kinds.Count)];
            round++;
            switch (kind)
            {
                case "kill":
                    await KillAsync(ct);
                    break;
                case "pause":
                    await PauseAsync(ct);
                    break;
                case "device":
                    await DeviceFaultAsync(ct);
                    break;
                case "db":
                    await DatabaseRestartAsync(database!, ct);
                    break;
                case "partition":
                    await PartitionAsync(ct);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task KillAsync(CancellationToken ct)
    {
        var node = _cluster.Nodes[_random.Next(_cluster.Nodes.Count)];
        var id = FaultStart("kill", node.Name, $"kill -9 pid {node.Process?.Id}");
        node.Process?.Kill();
        node.Process?.WaitForExit(5000);
        await DelayAsync(TimeSpan.FromMilliseconds(1000 + _random.Next(2000)), ct);
        _cluster.StartNode(node);
        await WaitReadyAsync(node, TimeSpan.FromSeconds(90), ct);
        FaultEnd(id, "kill", node.Name, "restarted and ready");
    }

    private async Task PauseAsync(CancellationToken ct)
    {
        var node = _cluster.Nodes[_random.Next(_cluster.Nodes.Count)];
        var pid = node.Process?.Id ?? 0;
        // Longer than acceptable-heartbeat-pause (3 s) plus downing stable-after (5 s): the others down it.
        var hold = TimeSpan.FromMilliseconds(9000 + _random.Next(3000));
        var id = FaultStart("pause", node.Name, $"SIGSTOP pid {pid} for {hold.TotalSeconds:0.0} s");
        Signal("STOP", pid);
        await DelayAsync(hold, ct);
        Signal("CONT", pid);
        var detail = "resumed";
        if (!await WaitReadyAsync(node, TimeSpan.FromSeconds(20), ct, throwOnTimeout: false))
        {
            // Downed while paused: the process ended or stays out of the cluster; a supervisor would restart it.
            node.Process?.Kill();
            node.Process?.WaitForExit(5000);
            _cluster.StartNode(node);
            await WaitReadyAsync(node, TimeSpan.FromSeconds(90), ct);
            detail = "resumed, downed, restarted";
        }

        FaultEnd(id, "pause", node.Name, detail);
    }

    private async Task DeviceFaultAsync(CancellationToken ct)
    {
        var inventory = await TryHostsAsync(ct);
        var resuming = inventory.SelectMany(h => h.PfList.SelectMany(p => p.VfList.Where(v => v.State == "RESUMING").Select(v => (Host: h.Id, Pf: p.Id, Vf: v.Id)))).ToList();
        string kind;
        string pf;
        string host;
        int? vf = null;
        string? command = null;
        var pick = _random.Next(5);
        if (pick == 0 && resuming.Count > 0)
        {
            (host, pf, var vfId) = resuming[_random.Next(resuming.Count)];
            kind = DeviceFault.Error;
            vf = int.Parse(vfId[(vfId.LastIndexOf("/vf", StringComparison.Ordinal) + 3)..], CultureInfo.InvariantCulture);
        }
        else
        {
            (pf, host) = _pfs[_random.Next(_pfs.Count)];
            (kind, command) = pick switch
            {
                1 => (DeviceFault.CorruptRead, (string?)null),
                2 => (DeviceFault.CorruptWrite, null),
                3 => (DeviceFault.Hang, "Save"),
                _ => (DeviceFault.Fail, new[] { "Save", "PrepareLoad", "Load", "Suspend" }[_random.Next(4)]),
            };
        }

        var node = _cluster.Nodes.FirstOrDefault(n => n.Name == _hostNode.GetValueOrDefault(host)) ?? _cluster.Nodes[0];
        var target = vf is null ? pf : $"{pf}/vf{vf}";
        var id = FaultStart("device", target, $"{kind}{(command is null ? "" : " " + command)} on {node.Name}");
        await PostFaultAsync(node, new DeviceFault { Pf = pf, Kind = kind, Command = command, Vf = vf, Nth = 1 }, ct);
        await DelayAsync(TimeSpan.FromMilliseconds(3000 + _random.Next(3000)), ct);
        await PostFaultAsync(node, new DeviceFault { Pf = pf, Kind = DeviceFault.Clear }, ct);
        FaultEnd(id, "device", target, "cleared");
    }

    private async Task DatabaseRestartAsync(ChaosDatabase database, CancellationToken ct)
    {
        var id = FaultStart("db", "postgresql", "pg_ctlcluster restart");
        var result = await ChaosDatabase.RestartServerAsync(ct);
        if (result is not null)
        {
            Note(result);
        }

        await database.WaitReachableAsync(TimeSpan.FromSeconds(30), ct);
        FaultEnd(id, "db", "postgresql", result ?? "restarted");
    }

    private async Task PartitionAsync(CancellationToken ct)
    {
        var node = _cluster.Nodes[_random.Next(_cluster.Nodes.Count)];
        var hold = TimeSpan.FromMilliseconds(6000 + _random.Next(4000));
        var id = FaultStart("partition", node.Name, $"iptables DROP of Akka port {node.AkkaPort} for {hold.TotalSeconds:0.0} s");
        var problem = _partitions!.Isolate(node.AkkaPort);
        if (problem is not null)
        {
            Note($"partition of {node.Name} not applied: {problem}");
        }

        await DelayAsync(hold, ct);
        _partitions.HealAll();
        var detail = "healed";
        if (!await WaitReadyAsync(node, TimeSpan.FromSeconds(20), ct, throwOnTimeout: false))
        {
            node.Process?.Kill();
            node.Process?.WaitForExit(5000);
            _cluster.StartNode(node);
            await WaitReadyAsync(node, TimeSpan.FromSeconds(90), ct);
            detail = "healed, downed, restarted";
        }

        FaultEnd(id, "partition", node.Name, detail);
    }

    private async Task SettleAsync(CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + _options.SettleTimeout;
        while (true)
        {
            var open = new List<string>();
            foreach (var node in _cluster.Nodes)
            {
                try
                {
                    using var api = Client(node);
                    var all = await api.GetMigrationsAsync(ct);
                    List<string> known;
                    lock (_migrations)
                    {
                        known = [.. _migrations];
                    }

                    foreach (var id in all.Value.Where(m => !m.IsTerminal).Select(m => m.Id).Union(known, StringComparer.Ordinal))
                    {
                        var m = await api.GetMigrationAsync(id, ct);
                        if (!m.Value.IsTerminal)
                        {
                            open.Add($"{id} ({m.Value.State})");
                        }
                    }

                    break;
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    open.Add($"({node.Name} did not answer: {e.Message})");
                }
            }

            if (open.Count == 0)
            {
                _out.WriteLine("chaos: every migration ended");
                return;
            }

            if (_time.GetUtcNow() > deadline)
            {
                Note($"not settled after {_options.SettleTimeout.TotalSeconds:0} s: {string.Join(", ", open.Take(10))}");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _time, ct);
        }
    }

    private void HealAll()
    {
        _partitions?.HealAll();
        foreach (var node in _cluster.Nodes)
        {
            if (node.Process is { HasExited: false } p)
            {
                Signal("CONT", p.Id);
            }
        }
    }

    private async Task<bool> WaitReadyAsync(DemoNode node, TimeSpan limit, CancellationToken ct, bool throwOnTimeout = true)
    {
        var deadline = _time.GetUtcNow() + limit;
        using var http = new HttpClient { BaseAddress = node.Api, Timeout = TimeSpan.FromSeconds(3) };
        while (_time.GetUtcNow() < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), ct);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Not up yet.
            }

            if (node.Process is { HasExited: true } && !throwOnTimeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), _time, ct);
        }

        return throwOnTimeout
            ? throw new DemoFailure($"{node.Name} not ready {limit.TotalSeconds:0} s after a fault; last lines of {node.LogPath}:{Environment.NewLine}{DemoCluster.Tail(node.LogPath)}")
            : false;
    }

    private async Task<IReadOnlyList<ApiHost>> TryHostsAsync(CancellationToken ct)
    {
        foreach (var node in _cluster.Nodes)
        {
            try
            {
                using var api = Client(node);
                return (await api.GetHostsAsync(ct)).Value;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Try the next node.
            }
        }

        return [];
    }

    private async Task PostFaultAsync(DemoNode node, DeviceFault fault, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = node.Api, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _cluster.Token);
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri(ChaosEndpoints.Path, UriKind.Relative), fault, ct);
            if (!response.IsSuccessStatusCode)
            {
                Note($"device fault {fault.Kind} on {fault.Pf} refused by {node.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            Note($"device fault {fault.Kind} on {fault.Pf}: {node.Name} did not answer: {e.Message}");
        }
    }

    private string FaultStart(string kind, string target, string detail)
    {
        var id = $"f{++_faultSeq}";
        _client!.Append(new FaultInjected { Id = id, Kind = kind, Target = target, Start = _time.GetUtcNow(), Detail = detail });
        _out.WriteLine($"chaos: {_time.GetUtcNow():HH:mm:ss} fault {id} {kind} {target}: {detail}");
        _starts[id] = _time.GetUtcNow();
        return id;
    }

    private readonly Dictionary<string, DateTimeOffset> _starts = new(StringComparer.Ordinal);

    private void FaultEnd(string id, string kind, string target, string detail)
    {
        _client!.Append(new FaultInjected { Id = id, Kind = kind, Target = target, Start = _starts[id], End = _time.GetUtcNow(), Detail = detail });
        _out.WriteLine($"chaos: {_time.GetUtcNow():HH:mm:ss} fault {id} healed: {detail}");
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void Signal(string signal, int pid)
    {
        if (pid <= 0)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit(5000);
    }

    private OrchestratorApiClient Client(DemoNode node) => new(node.Api, _cluster.Token, timeout: TimeSpan.FromSeconds(5));

    private void Note(string text)
    {
        _notes.Add(text);
        _out.WriteLine($"chaos: {text}");
    }

    private static string Hocon(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>Heals and stops everything if this process exits some other way (SIGTERM, an unhandled exception).</summary>
    private sealed class ExitGuard : IDisposable
    {
        private readonly ChaosRun _run;

        public ExitGuard(ChaosRun run)
        {
            _run = run;
            AppDomain.CurrentDomain.ProcessExit += OnExit;
        }

        public void Dispose() => AppDomain.CurrentDomain.ProcessExit -= OnExit;

        private void OnExit(object? sender, EventArgs e)
        {
            _run.HealAll();
            _run._cluster.Stop();
        }
    }
}
