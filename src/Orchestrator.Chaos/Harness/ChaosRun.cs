using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Chaos.BrokenBuilds;
using Orchestrator.Chaos.Checker;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Harness;

/// <summary>
/// <c>orchestrator chaos</c>: starts a cluster of node processes (<see cref="LocalCluster"/>), each on its own loopback
/// address and writing its history; a client requests migrations (some to an explicit, possibly incompatible target),
/// aborts some, evacuates hosts and uncordons them through the API and records every operation with its outcome; a
/// fault schedule drawn from the seed kills, pauses, partitions nodes, restarts PostgreSQL and faults devices, one
/// fault at a time. A fault ends only when the cluster is whole again: a node that died or was downed meanwhile is
/// restarted (same config, journal and history file) and every node answers <c>/readyz</c> with every host in the
/// inventory; its record says what was restarted. Then it heals everything, waits up to the settle bound after the
/// last heal for every migration to end, stops the nodes, merges the histories and runs <see cref="HistoryChecker"/>.
/// Exit 0 when every invariant holds, 1 on a violation or a harness failure, 2 for bad input, 4 when the API ports
/// are taken.
/// </summary>
public sealed class ChaosRun : IDisposable
{
    /// <summary>The run's directory under the state directory: the cluster's files, histories and report.</summary>
    public const string RunDirectory = "chaos-run";

    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan RestartLimit = TimeSpan.FromSeconds(90);

    /// <summary>The first VF changes of a run, one of each kind (see <see cref="VfChangeAsync"/>).</summary>
    private static readonly int[] FirstVfChanges = [3, 2, 1, 4, 0];

    private readonly ChaosOptions _options;
    private readonly TextWriter _out;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Random _clientRandom;
    private readonly List<string> _notes = [];
    private readonly List<string> _migrations = [];
    private readonly Dictionary<string, string> _workloadHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hostNode = new(StringComparer.Ordinal);
    private readonly List<(string Pf, string Host)> _pfs = [];
    private readonly Dictionary<string, DateTimeOffset> _starts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _historyGate = new(1, 1);
    private LocalCluster _cluster = null!;
    private HistoryWriter? _client;
    private Partitions? _partitions;
    private int _faultSeq;
    private DateTimeOffset? _lastHeal;
    private ClientOutcome _lastOutcome;

    private ChaosRun(ChaosOptions options, TextWriter output, TimeProvider time)
    {
        _options = options;
        _out = output;
        _time = time;
        _random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        _clientRandom = new Random(unchecked((int)options.Seed * 31 + 7));
    }

    public static async Task<int> RunAsync(ChaosOptions options, TextWriter output, TimeProvider time, CancellationToken ct)
    {
        var check = LocalCluster.CheckStart(options.Validate(), options.Topology, options.ApiPortBase, options.Nodes);
        if (check.ExitCode != 0)
        {
            check.Problems.ToList().ForEach(e => output.WriteLine($"orchestrator chaos: {e}"));
            return check.ExitCode;
        }

        using var run = new ChaosRun(options, output, time);
        return await run.RunAsync(check.TopologyPath!, check.Hosts, ct);
    }

    public void Dispose()
    {
        _client?.Dispose();
        _historyGate.Dispose();
    }

    private async Task<int> RunAsync(string topologyPath, int hostCount, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        using var database = _options.Db == "postgres" ? await ScratchDatabase.CreateAsync(string.Create(CultureInfo.InvariantCulture, $"chaos_{_options.Seed}"), ct) : null;
        _cluster = LocalCluster.Prepare(new LocalClusterOptions
        {
            Nodes = _options.Nodes,
            ApiPortBase = _options.ApiPortBase,
            Seed = _options.Seed,
            StateDirectory = Path.Combine(_options.StateDirectory, RunDirectory),
            NodeCommand = _options.NodeCommand,
            StartTimeout = TimeSpan.FromSeconds(90),
            DirectoryName = "chaos",
            LatencyScale = 0.2,
            PersistenceProvider = database is null ? null : "postgres",
            ConnectionString = database?.ConnectionString,
            Histories = true,
            NodeAddress = Partitions.NodeAddress,
            ExtraConfig = (_, dir) => $$"""
                runtime { step-timeout = 10s }
                devices { state-dir = "{{Hocon(Path.Combine(dir, "devices"))}}" }
                """,
            NodeVerb = _options.LoseCommitCheckpoint ? [DropCommitCheckpoint.NodeVerb] : [FaultNode.Verb],
        }, topologyPath, hostCount, token);
        var historyDir = Path.Combine(_cluster.WorkDirectory, "history");
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
            else
            {
                foreach (var node in _cluster.Nodes)
                {
                    _partitions.Enroll(node);
                }
            }
        }

        using var guard = new ProcessExitGuard(CleanUp);
        try
        {
            _out.WriteLine($"chaos: seed {_options.Seed}, {_options.Nodes} nodes, {_options.Duration.TotalSeconds:0} s, {_options.Migrations} migrations, faults {string.Join(",", faults.Order(StringComparer.Ordinal))}, db {_options.Db}{(_options.KillAfterCommit ? ", kill after commit first" : "")}{(_options.LoseCommitCheckpoint ? ", BROKEN build (the journal loses the Committed checkpoint)" : "")}");
            _out.WriteLine($"chaos: run directory {_cluster.WorkDirectory}");
            _cluster.Start();
            await _cluster.WaitReadyAsync(_time, ct);
            _out.WriteLine($"chaos: cluster up after {watch.Elapsed.TotalSeconds:0.0} s ({string.Join(", ", _cluster.Nodes.Select(n => $"{n.Name} {n.Address}:{n.AkkaPort} pid {n.Process?.Id}"))})");
            await ReadInventoryAsync(ct);
            if (_options.KillAfterCommit)
            {
                await KillAfterCommitAsync(ct);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(_options.Duration);
            var clientLoop = ClientLoopAsync(stop.Token);
            var faultLoop = FaultLoopAsync([.. faults.Order(StringComparer.Ordinal)], database, stop.Token, ct);
            await Task.WhenAll(clientLoop, faultLoop);
            _out.WriteLine($"chaos: faults over after {watch.Elapsed.TotalSeconds:0.0} s; settling (bound {_options.SettleTimeout.TotalSeconds:0} s after the last heal)");
            await SettleAsync(ct);
        }
        catch (LocalClusterException e)
        {
            Note($"harness failure: {e.Message}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Note("harness failure: interrupted");
        }
        finally
        {
            CleanUp();
            _client.Dispose();
        }

        var files = Directory.GetFiles(historyDir, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        var read = HistoryReader.ReadFiles(files);
        var report = HistoryChecker.Check(read.Records, new CheckOptions { SettleBound = _options.SettleTimeout });
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
            Directory.Delete(Path.GetFullPath(Path.Combine(_options.StateDirectory, RunDirectory)), recursive: true);
        }

        return report.IsSuccess && !harnessFailed ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Idempotent: paused nodes continued, partition rules removed, node processes ended, cgroups removed.</summary>
    private void CleanUp()
    {
        _partitions?.HealAll();
        foreach (var node in _cluster.Nodes)
        {
            if (node.Process is { HasExited: false } p)
            {
                Signal("CONT", p.Id);
            }
        }

        _cluster.Stop();
        _partitions?.Dispose();
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

    // ---- the client ------------------------------------------------------------------------------------------

    /// <summary>
    /// What the client does next. The first requests try every kind once, in this order, so that a short run sees each;
    /// then the seed picks.
    /// </summary>
    private enum ClientAction
    {
        Duplicates,
        PingPong,
        VfChange,
        Evacuate,
        MigrateToTarget,
        Migrate,
        Abort,
    }

    private async Task ClientLoopAsync(CancellationToken stop)
    {
        var workloads = _workloadHost.Keys.Order(StringComparer.Ordinal).ToList();
        var hosts = _hostNode.Keys.Order(StringComparer.Ordinal).ToList();
        if (_options.Migrations == 0 || workloads.Count == 0)
        {
            return;
        }

        var gap = _options.Duration / (_options.Migrations * 2);
        var client = new ClientState(workloads, hosts);
        for (var i = 0; i < _options.Migrations && !stop.IsCancellationRequested; i++)
        {
            var node = _cluster.Nodes[_clientRandom.Next(_cluster.Nodes.Count)];
            foreach (var (host, _) in client.Evacuated.Where(e => e.Until <= i).ToList())
            {
                await ClientOpAsync("uncordon", null, null, host, node, async api => (await api.CordonAsync(host, cordon: false, CancellationToken.None)).Json);
                client.Evacuated.RemoveAll(e => e.Host == host);
            }

            switch (PickAction(i, client))
            {
                case ClientAction.Abort:
                    await AbortAsync(client, node);
                    break;
                case ClientAction.Evacuate:
                    await EvacuateWithManualMigrationsAsync(client, i, node);
                    break;
                case ClientAction.Duplicates:
                    await DuplicatesAsync(client, i, node);
                    break;
                case ClientAction.PingPong:
                    await PingPongAsync(client, i, node, stop);
                    break;
                case ClientAction.VfChange:
                    await VfChangeAsync(client, i, node);
                    break;
                case ClientAction.MigrateToTarget:
                    // An explicit target, which may be incompatible (older firmware) or the source itself.
                    await MigrateAsync(client, i, node, client.Hosts[_clientRandom.Next(client.Hosts.Count)]);
                    break;
                default:
                    await MigrateAsync(client, i, node, null);
                    break;
            }

            if (!await DelayAsync(gap, stop))
            {
                break;
            }
        }

        foreach (var (host, _) in client.Evacuated)
        {
            await ClientOpAsync("uncordon", null, null, host, _cluster.Nodes[0], async api => (await api.CordonAsync(host, cordon: false, CancellationToken.None)).Json);
        }
    }

    private ClientAction PickAction(int i, ClientState client)
    {
        var all = Enum.GetValues<ClientAction>();
        var action = i < all.Length ? all[i] : _clientRandom.Next(14) switch
        {
            0 or 1 => ClientAction.Abort,
            2 => ClientAction.Evacuate,
            3 => ClientAction.MigrateToTarget,
            4 or 5 => ClientAction.Duplicates,
            6 => ClientAction.PingPong,
            7 or 8 => ClientAction.VfChange,
            _ => ClientAction.Migrate,
        };
        return action switch
        {
            ClientAction.Abort when client.Open.Count == 0 => ClientAction.Migrate,
            ClientAction.Evacuate when client.Evacuated.Count > 0 || client.Hosts.Count < 2 => ClientAction.Migrate,
            _ => action,
        };
    }

    private string RandomWorkload(ClientState client) => client.Workloads[_clientRandom.Next(client.Workloads.Count)];

    private async Task MigrateAsync(ClientState client, int i, LocalNode node, string? target)
    {
        var workload = RandomWorkload(client);
        var key = $"chaos-{_options.Seed}-{i}";
        var answer = await ClientOpAsync("migrate", workload, null, target, node, async api => (await api.StartMigrationAsync(workload, target, key, CancellationToken.None)).Value.Id);
        // A real client retries a lost answer with the same key on another node: at most one migration results.
        answer ??= await ClientOpAsync("migrate", workload, null, target, Other(node), async api => (await api.StartMigrationAsync(workload, target, key, CancellationToken.None)).Value.Id, onlyIfIndeterminate: true);
        if (answer is not null)
        {
            Track(answer);
            client.Open[workload] = answer;
        }
    }

    private async Task AbortAsync(ClientState client, LocalNode node)
    {
        var (workload, id) = client.Open.ElementAt(_clientRandom.Next(client.Open.Count));
        await ClientOpAsync("abort", workload, id, null, node, async api => (await api.AbortAsync(id, CancellationToken.None)).Json);
        client.Open.Remove(workload);
    }

    /// <summary>
    /// Evacuates a host (the API cordons it and migrates its workloads away) while manual requests for one or two of its
    /// workloads (different keys, through other nodes) are sent at the same moment: for each workload one request
    /// wins, the others are 409 WorkloadBusy. The host is uncordoned a few requests later.
    /// </summary>
    private async Task EvacuateWithManualMigrationsAsync(ClientState client, int i, LocalNode node)
    {
        // A host with workloads now (the inventory; the start's if no node answers), so that there is something to overlap.
        var inventory = await TryHostsAsync(CancellationToken.None);
        var where = inventory.Count > 0
            ? inventory.SelectMany(h => h.PfList.SelectMany(p => p.VfList).Select(v => (Host: h.Id, v.Workload)))
            : _workloadHost.Select(w => (Host: w.Value, Workload: (string?)w.Key));
        var byHost = where.Where(x => x.Workload is not null && client.Workloads.Contains(x.Workload))
            .GroupBy(x => x.Host, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var host = byHost.Count > 0 ? byHost[_clientRandom.Next(byHost.Count)].Key : client.Hosts[_clientRandom.Next(client.Hosts.Count)];
        var onHost = byHost.Where(g => g.Key == host).SelectMany(g => g.Select(x => x.Workload!)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var manual = onHost.OrderBy(_ => _clientRandom.Next()).Take(1 + _clientRandom.Next(2)).ToList();
        var key = $"chaos-{_options.Seed}-evacuate-{i}";
        var evacuation = ClientOpAsync("evacuate", null, null, host, node, async api => (await api.EvacuateAsync(host, key, CancellationToken.None)).Json);
        var manualCalls = manual.Select((workload, k) =>
        {
            var target = _clientRandom.Next(2) == 0 ? null : client.Hosts[_clientRandom.Next(client.Hosts.Count)];
            var manualKey = $"chaos-{_options.Seed}-{i}-overlap-{k}";
            return ClientOpAsync("migrate-overlap", workload, null, target, NodeAfter(node, k + 1), async api => (await api.StartMigrationAsync(workload, target, manualKey, CancellationToken.None)).Value.Id);
        }).ToList();
        var job = await evacuation;
        var accepted = await Task.WhenAll(manualCalls);
        job ??= await ClientOpAsync("evacuate", null, null, host, Other(node), async api => (await api.EvacuateAsync(host, key, CancellationToken.None)).Json);
        foreach (var migration in MigrationsOf(job).Concat(accepted.OfType<string>()))
        {
            Track(migration);
        }

        client.Evacuated.Add((host, i + 3));
    }

    /// <summary>
    /// Two to four requests for one workload at the same moment, through different nodes, each with its own
    /// Idempotency-Key (what several schedulers, or one that lost its state, would send): at most one is accepted.
    /// </summary>
    private async Task DuplicatesAsync(ClientState client, int i, LocalNode node)
    {
        var workload = RandomWorkload(client);
        var count = 2 + _clientRandom.Next(3);
        var calls = Enumerable.Range(0, count).Select(k =>
        {
            var key = $"chaos-{_options.Seed}-{i}-duplicate-{k}";
            return ClientOpAsync("migrate-duplicate", workload, null, null, NodeAfter(node, k), async api => (await api.StartMigrationAsync(workload, null, key, CancellationToken.None)).Value.Id);
        }).ToList();
        var accepted = (await Task.WhenAll(calls)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var migration in accepted)
        {
            Track(migration);
            client.Open[workload] = migration;
        }
    }

    /// <summary>
    /// Migrates a workload and, the moment a node answers it Completed, migrates it back to the host it came from
    /// through another node (DESIGN invariant 7: a new request is accepted at once).
    /// </summary>
    private async Task PingPongAsync(ClientState client, int i, LocalNode node, CancellationToken stop)
    {
        var workload = RandomWorkload(client);
        var there = await ClientOpAsync("migrate-pingpong", workload, null, null, node, async api => (await api.StartMigrationAsync(workload, null, $"chaos-{_options.Seed}-{i}-ping", CancellationToken.None)).Value.Id);
        if (there is null)
        {
            return;
        }

        Track(there);
        client.Open[workload] = there;
        if (await WaitTerminalAsync(there, TimeSpan.FromSeconds(45), stop) is not { State: ApiMigration.Completed, Source: { } source })
        {
            return;
        }

        var back = await ClientOpAsync("migrate-pingpong", workload, null, source, Other(node), async api => (await api.StartMigrationAsync(workload, source, $"chaos-{_options.Seed}-{i}-pong", CancellationToken.None)).Value.Id);
        if (back is not null)
        {
            Track(back);
            client.Open[workload] = back;
        }
    }

    /// <summary>The migration once a node answers it terminal, polling every 100 ms through the nodes in turn; null after <paramref name="limit"/>.</summary>
    private async Task<ApiMigration?> WaitTerminalAsync(string migration, TimeSpan limit, CancellationToken stop)
    {
        var deadline = _time.GetUtcNow() + limit;
        for (var poll = 0; _time.GetUtcNow() < deadline; poll++)
        {
            try
            {
                using var api = Client(_cluster.Nodes[poll % _cluster.Nodes.Count]);
                var m = (await api.GetMigrationAsync(migration, CancellationToken.None)).Value;
                if (m.IsTerminal)
                {
                    return m;
                }
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException or IOException)
            {
                // A node down or paused: ask the next one.
            }

            if (!await DelayAsync(TimeSpan.FromMilliseconds(100), stop))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// VF create and delete on a PF a migration in flight uses (else on a workload's PF): a VF without an index, or at
    /// the index of a VF a migration holds (409); an unassigned VF or one labelled with a chaos workload; deletes of a VF
    /// a migration holds (409, forced or not), of a workload's VF without force (409), of a VF this client created
    /// (a labelled one with and without force) and, once a run, a forced delete of a workload's VF no migration holds.
    /// </summary>
    private async Task VfChangeAsync(ClientState client, int i, LocalNode node)
    {
        var inventory = await TryHostsAsync(CancellationToken.None);
        var vfs = inventory.SelectMany(h => h.PfList.SelectMany(p => p.VfList.Select(v => (Pf: p, Vf: v)))).ToList();
        var held = vfs.Where(x => x.Vf.Migration is not null).ToList();
        var served = vfs.Where(x => x.Vf.Workload is not null && x.Vf.Migration is null && !x.Vf.Workload.StartsWith("chaos-", StringComparison.Ordinal)).ToList();
        var busy = held.Count > 0 ? held : served;
        if (busy.Count == 0)
        {
            return;
        }

        var (pf, vf) = busy[_clientRandom.Next(busy.Count)];
        // 0: delete one of its own, 0-1: delete the busy VF, 2: create at its index, 3: create, 4-5: create labelled. The
        // first VF changes of a run try each once, in the order of FirstVfChanges; then the seed picks (only deletes
        // while the client keeps four VFs of its own).
        var pick = client.VfChanges < FirstVfChanges.Length ? FirstVfChanges[client.VfChanges] : _clientRandom.Next(client.Spares.Count >= 4 ? 2 : 6);
        client.VfChanges++;
        switch (pick)
        {
            case 0 when client.Spares.Count > 0:
                {
                    var spare = client.Spares[_clientRandom.Next(client.Spares.Count)];
                    var force = spare.Workload is not null && _clientRandom.Next(3) > 0;
                    await DeleteVfAsync(spare.Vf, spare.Workload, null, force, node, spare.Workload is null ? "a VF this client created" : force ? "a labelled VF this client created, forced" : "a labelled VF this client created, without force: expect 409");
                    if (force || spare.Workload is null)
                    {
                        client.Spares.Remove(spare); // deleted, or gone (an evacuation may have moved a labelled one)
                    }

                    break;
                }

            case 0 or 1 when vf.Migration is not null:
                await DeleteVfAsync(vf.Id, vf.Workload, vf.Migration, _clientRandom.Next(2) == 0, node, "a VF a migration holds: expect 409");
                break;
            case 0 or 1:
                {
                    var force = !client.ForcedRealDelete && _clientRandom.Next(4) == 0;
                    client.ForcedRealDelete |= force;
                    await DeleteVfAsync(vf.Id, vf.Workload, null, force, node, force ? "a workload's VF, forced" : "a workload's VF without force: expect 409");
                    break;
                }

            case 2 when vf.Migration is not null:
                await CreateVfAsync(client, pf, null, IndexOf(vf.Id), node, $"at the index of {vf.Id}, which {vf.Migration} holds: expect 409");
                break;
            case 2 or 3:
                await CreateVfAsync(client, pf, null, null, node, "no index");
                break;
            default:
                await CreateVfAsync(client, pf, $"chaos-{_options.Seed}-w{i}", null, node, "labelled with a chaos workload");
                break;
        }
    }

    private async Task CreateVfAsync(ClientState client, ApiPf pf, string? workload, int? index, LocalNode node, string why)
    {
        var profile = pf.Profiles is { Count: > 0 } offered ? offered[0] : pf.VfList.Select(v => v.Profile).OfType<string>().FirstOrDefault();
        if (profile is null)
        {
            return;
        }

        var asked = index is { } n ? $"{pf.Id}/vf{n}" : null;
        var created = await ClientOpAsync("create-vf", workload, null, null, node, async api => (await api.CreateVfAsync(pf.Id, "vfio", profile, workload, index, CancellationToken.None)).Value.Id, pf: pf.Id, vf: asked, note: why);
        if (!string.IsNullOrEmpty(created))
        {
            client.Spares.Add((created, workload));
        }
    }

    private Task<string?> DeleteVfAsync(string vf, string? workload, string? migration, bool force, LocalNode node, string why) =>
        ClientOpAsync("delete-vf", workload, migration, null, node, async api => (await api.DestroyVfAsync(vf, force, CancellationToken.None)).Value.Id, pf: vf[..vf.LastIndexOf('/')], vf: vf, force: force, note: why);

    private static int IndexOf(string vf) => int.Parse(vf[(vf.LastIndexOf("/vf", StringComparison.Ordinal) + 3)..], CultureInfo.InvariantCulture);

    /// <summary>
    /// One API call, recorded as a <c>client-op</c>; the migration id (<c>migrate</c> and its variants), the VF id
    /// (<c>create-vf</c>, <c>delete-vf</c>) or the answer, or null unless ok.
    /// </summary>
    private async Task<string?> ClientOpAsync(string op, string? workload, string? migration, string? host, LocalNode node, Func<OrchestratorApiClient, Task<string>> call, bool onlyIfIndeterminate = false, string? pf = null, string? vf = null, bool? force = null, string? note = null)
    {
        if (onlyIfIndeterminate && _lastOutcome != ClientOutcome.Indeterminate)
        {
            return null;
        }

        var start = _time.GetUtcNow();
        using var api = Client(node);
        ClientOutcome outcome;
        string? detail = null;
        string? answer = null;
        try
        {
            answer = await call(api);
            outcome = ClientOutcome.Ok;
        }
        catch (ApiException e) when (e.Kind is ApiErrorKind.BadInput or ApiErrorKind.NotFound or ApiErrorKind.Conflict)
        {
            outcome = ClientOutcome.Failed;
            detail = $"{node.Name}: {e.Status}: {e.Message}";
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            // No answer, 5xx or 503 while the node is not ready: the operation may or may not have happened.
            outcome = ClientOutcome.Indeterminate;
            detail = $"{node.Name}: {e.Message}";
        }

        var migrate = ClientOperation.IsMigrate(op);
        if (op == "evacuate" && answer is not null)
        {
            detail = $"{node.Name}: job {JobOf(answer)}, migrations {string.Join(" ", MigrationsOf(answer))}";
        }

        detail ??= host is not null && migrate ? $"{node.Name}: target {host}" : node.Name;
        if (note is not null)
        {
            detail = $"{note}; {detail}";
        }

        _client!.Append(new ClientOperation
        {
            Op = op,
            Workload = workload,
            Migration = migrate ? answer : migration,
            Host = host,
            Pf = pf,
            Vf = op == "create-vf" && !string.IsNullOrEmpty(answer) ? answer : vf,
            Force = force,
            Outcome = outcome,
            Start = start,
            End = _time.GetUtcNow(),
            Detail = detail.Length > 300 ? detail[..300] : detail,
        });
        _lastOutcome = outcome;
        return outcome == ClientOutcome.Ok ? answer ?? string.Empty : null;
    }

    private static string? JobOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
    }

    private static IReadOnlyList<string> MigrationsOf(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("migrations", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(m => m.TryGetProperty("migration", out var id) ? id.GetString() : null).OfType<string>()]
            : [];
    }

    private void Track(string migration)
    {
        lock (_migrations)
        {
            if (!_migrations.Contains(migration))
            {
                _migrations.Add(migration);
            }
        }
    }

    private LocalNode Other(LocalNode node) => NodeAfter(node, 1);

    private LocalNode NodeAfter(LocalNode node, int steps) => _cluster.Nodes[(_cluster.Nodes.ToList().IndexOf(node) + steps) % _cluster.Nodes.Count];

    /// <summary>What the client loop keeps between requests.</summary>
    private sealed class ClientState(List<string> workloads, List<string> hosts)
    {
        public List<string> Workloads { get; } = workloads;

        public List<string> Hosts { get; } = hosts;

        /// <summary>The last migration accepted per workload, for aborts.</summary>
        public Dictionary<string, string> Open { get; } = new(StringComparer.Ordinal);

        /// <summary>Evacuated hosts and the request after which they are uncordoned.</summary>
        public List<(string Host, int Until)> Evacuated { get; } = [];

        /// <summary>VFs this client created (with their chaos workload label, if any), at most a few at a time.</summary>
        public List<(string Vf, string? Workload)> Spares { get; } = [];

        /// <summary>How many VF changes the client made.</summary>
        public int VfChanges { get; set; }

        /// <summary>Whether the one forced delete of a real workload's VF of this run was sent.</summary>
        public bool ForcedRealDelete { get; set; }
    }

    // ---- the faults ------------------------------------------------------------------------------------------

    private async Task FaultLoopAsync(IReadOnlyList<string> kinds, ScratchDatabase? database, CancellationToken stop, CancellationToken ct)
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
        LocalCluster.KillNode(node);
        await DelayAsync(TimeSpan.FromMilliseconds(1000 + _random.Next(2000)), ct);
        _cluster.StartNode(node);
        var restarted = await RecoverAsync(ct);
        FaultEnd(id, "kill", node.Name, $"restarted (pid {node.Process?.Id}){restarted}");
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
        var restarted = await RecoverAsync(ct);
        FaultEnd(id, "pause", node.Name, $"resumed{restarted}");
    }

    private async Task PartitionAsync(CancellationToken ct)
    {
        var nodes = _cluster.Nodes;
        var a = _random.Next(nodes.Count);
        List<LocalNode> side;
        List<LocalNode> other;
        if (_random.Next(2) == 0)
        {
            side = [nodes[a]];
            other = [.. nodes.Where((_, i) => i != a)];
        }
        else
        {
            var b = (a + 1 + _random.Next(nodes.Count - 1)) % nodes.Count;
            side = [nodes[a]];
            other = [nodes[b]];
        }

        var hold = TimeSpan.FromMilliseconds(6000 + _random.Next(4000));
        var target = $"{string.Join("+", side.Select(n => n.Name))}|{string.Join("+", other.Select(n => n.Name))}";
        var id = FaultStart("partition", target, $"iptables DROP between {string.Join(",", side.Select(n => n.Address))} and {string.Join(",", other.Select(n => n.Address))} (both ways) for {hold.TotalSeconds:0.0} s");
        if (_partitions!.Cut(side, other) is { } problem)
        {
            Note($"partition {target} not applied: {problem}");
        }

        await DelayAsync(hold, ct);
        _partitions.HealAll();
        var restarted = await RecoverAsync(ct);
        FaultEnd(id, "partition", target, $"healed{restarted}");
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

        var node = NodeOfHost(host);
        var target = vf is null ? pf : $"{pf}/vf{vf}";
        var id = FaultStart("device", target, $"{kind}{(command is null ? "" : " " + command)} on {node.Name}");
        await PostFaultAsync(node, new DeviceFault { Pf = pf, Kind = kind, Command = command, Vf = vf, Nth = 1 }, ct);
        await DelayAsync(TimeSpan.FromMilliseconds(3000 + _random.Next(3000)), ct);
        await PostFaultAsync(node, new DeviceFault { Pf = pf, Kind = DeviceFault.Clear }, ct);
        FaultEnd(id, "device", target, "cleared");
    }

    private async Task DatabaseRestartAsync(ScratchDatabase database, CancellationToken ct)
    {
        var id = FaultStart("db", "postgresql", "pg_ctlcluster restart");
        var result = await ChaosDatabase.RestartServerAsync(ct);
        if (result is not null)
        {
            Note(result);
        }

        await database.WaitReachableAsync(TimeSpan.FromSeconds(30), ct);
        var restarted = await RecoverAsync(ct);
        FaultEnd(id, "db", "postgresql", (result ?? "restarted") + restarted);
    }

    /// <summary>The policy of the <c>--kill-after-commit</c> migration: at most 10 pre-copy rounds, then switch over.</summary>
    private static readonly IReadOnlyDictionary<string, object?> SwitchOverWhateverTheDowntime = new Dictionary<string, object?>
    {
        ["maxPreCopyRounds"] = 10,
        ["nonConvergenceAction"] = "force",
    };

    /// <summary>
    /// <c>--kill-after-commit</c>: one migration to a compatible target whose source release (DestroyVf) is held, so it stays between Committed and Completed with the target running;
    /// then kill -9 of its coordinator's node, a restart, and the holds released once the migration moves on. A correct build goes forward to
    /// Completed; a build that skips the Committed checkpoint rolls back with the target already running.
    /// </summary>
    private async Task KillAfterCommitAsync(CancellationToken ct)
    {
        // This fault is about the commit, not the downtime policy: on a loaded machine an honest downtime prediction
        // exceeds the default limit, and the default policy would roll the migration back before it commits
        // (NonConvergence), leaving the fault not injected (and a broken build uncaught).

        var inventory = await TryHostsAsync(ct);
        var single = inventory.SelectMany(h => h.PfList.SelectMany(p => p.VfList.Where(v => v.Workload is not null).Select(v => (Workload: v.Workload!, Host: h.Id, Pf: p.Id))))
            .GroupBy(x => x.Workload, StringComparer.Ordinal).Where(g => g.Count() == 1).Select(g => g.Single()).OrderBy(x => x.Workload, StringComparer.Ordinal).ToList();
        using var api = Client(_cluster.Nodes[0]);
        foreach (var (workload, sourceHost, sourcePf) in single)
        {
            var placement = (await api.QueryPlacementAsync(workload, null, ct)).Value;
            if (placement.Candidates is not { Count: > 0 } candidates || candidates[0].Pf is not { } pf)
            {
                // Why, so that a run that injects nothing says what the placement saw.
                var why = string.Join("; ", (placement.Rejected ?? []).Select(r => $"{r.Host ?? "-"}/{r.Pf ?? "-"}: {r.Reason}"));
                _out.WriteLine($"chaos: --kill-after-commit: no target for {workload}: {(why.Length > 0 ? why : "no candidate host")}");
                continue;
            }

            var target = candidates[0].Host;
            var targetNode = NodeOfHost(target);
            var sourceNode = NodeOfHost(sourceHost);
            var id = FaultStart("kill", "after-commit", $"{workload} {sourceHost} -> {target}: hold the source release ({sourcePf} DestroyVf), kill -9 the coordinator's node once the target runs");
            await PostFaultAsync(sourceNode, new DeviceFault { Pf = sourcePf, Kind = DeviceFault.Hang, Command = "DestroyVf", Nth = 1 }, ct);
            string? migration = null;
            string? coordinatorName = null;
            for (var round = 0; round < 5 && coordinatorName is null; round++)
            {
                migration = null;
                var key = $"chaos-{_options.Seed}-after-commit-{round}";
                for (var attempt = 0; attempt < 6 && migration is null && (attempt == 0 || _lastOutcome == ClientOutcome.Indeterminate); attempt++)
                {
                    // The first request of a fresh cluster may outlast the client's timeout: retry with the same key.
                    migration = await ClientOpAsync("migrate", workload, null, target, _cluster.Nodes[attempt % _cluster.Nodes.Count], async a => (await a.StartMigrationAsync(workload, target, SwitchOverWhateverTheDowntime, key, CancellationToken.None)).Value.Id);
                }

                if (migration is null)
                {
                    break;
                }

                Track(migration);
                var owner = await WaitForHistoryAsync(migration, [MigrationStates.Requested], TimeSpan.FromSeconds(30), ct);
                if (owner is not null && owner != targetNode.Name)
                {
                    coordinatorName = owner;
                    break;
                }

                // The coordinator shares the target's process: killing it would release the hold with it. Abort (before
                // Committed) and ask again under another id, which shards elsewhere.
                _out.WriteLine($"chaos: {migration} is coordinated by {owner ?? "(unknown)"}, the target's node; aborting it and trying another id");
                await ClientOpAsync("abort", workload, migration, null, _cluster.Nodes[0], async a => (await a.AbortAsync(migration, CancellationToken.None)).Json);
                await WaitForHistoryAsync(migration, [MigrationStates.RolledBack, MigrationStates.Completed, MigrationStates.Failed], TimeSpan.FromSeconds(30), ct);
            }

            if (migration is null || coordinatorName is null || await WaitForHistoryAsync(migration, [MigrationStates.TargetRunning], TimeSpan.FromSeconds(60), ct) is null)
            {
                await PostFaultAsync(sourceNode, new DeviceFault { Pf = sourcePf, Kind = DeviceFault.Clear }, ct);
                FaultEnd(id, "kill", "after-commit", $"not injected: {(migration is null ? "the migration was refused" : coordinatorName is null ? "every attempt was coordinated by the target's node" : migration + " never reached TargetRunning")}");
                Note("--kill-after-commit: the targeted fault was not injected");
                return;
            }

            // The target runs and the source release is held: the migration is between Committed and Completed. Hold the
            // target's destroy too, so that a wrong rollback cannot remove the running target before the source resumes.
            await PostFaultAsync(targetNode, new DeviceFault { Pf = pf, Kind = DeviceFault.Hang, Command = "DestroyVf", Nth = 1 }, ct);
            var coordinator = _cluster.Nodes.First(n => n.Name == coordinatorName);
            _out.WriteLine($"chaos: {migration} TargetRunning, coordinated by {coordinator.Name}; kill -9 pid {coordinator.Process?.Id}");
            LocalCluster.KillNode(coordinator);
            await DelayAsync(TimeSpan.FromSeconds(1), ct);
            _cluster.StartNode(coordinator);
            var restarted = await RecoverAsync(ct);
            // A correct build goes on forward (SourceReleased); the broken one rolls back. Release the holds after either.
            var seen = await WaitForHistoryAsync(migration, [MigrationStates.RollingBack, MigrationStates.SourceReleased, MigrationStates.Completed], TimeSpan.FromSeconds(20), ct);
            await DelayAsync(TimeSpan.FromSeconds(2), ct);
            await PostFaultAsync(sourceNode, new DeviceFault { Pf = sourcePf, Kind = DeviceFault.Clear }, ct);
            await PostFaultAsync(targetNode, new DeviceFault { Pf = pf, Kind = DeviceFault.Clear }, ct);
            FaultEnd(id, "kill", "after-commit", $"{migration}: killed {coordinator.Name} with the target running, restarted{restarted}; {(seen is null ? "no next state within 20 s" : "moved on")}; holds released");
            return;
        }

        Note("--kill-after-commit: no single-VF workload with a compatible target; not injected");
    }

    /// <summary>The node that wrote the first record of <paramref name="migration"/> in one of <paramref name="states"/>, polling the node histories.</summary>
    private async Task<string?> WaitForHistoryAsync(string migration, IReadOnlyList<string> states, TimeSpan limit, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + limit;
        while (_time.GetUtcNow() < deadline)
        {
            foreach (var node in _cluster.Nodes.Where(n => n.HistoryPath is not null && File.Exists(n.HistoryPath)))
            {
                await _historyGate.WaitAsync(ct);
                try
                {
                    using var stream = new FileStream(node.HistoryPath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var reader = new StreamReader(stream);
                    while (await reader.ReadLineAsync(ct) is { } line)
                    {
                        if (!line.Contains("\"migration-state\"", StringComparison.Ordinal) || !line.Contains(migration, StringComparison.Ordinal))
                        {
                            continue;
                        }

                        if (states.Any(s => line.Contains($"\"state\":\"{s}\"", StringComparison.Ordinal)))
                        {
                            return node.Name;
                        }
                    }
                }
                catch (IOException)
                {
                    // Being written; read again.
                }
                finally
                {
                    _historyGate.Release();
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, ct);
        }

        return null;
    }

    /// <summary>
    /// After a fault: makes the cluster whole again. A node whose process ended, or that does not answer ready (downed
    /// while paused or cut off, or still out of the cluster) within 25 s, is restarted with the same config, journal
    /// and history file; then every node must stay ready across two checks 3 s apart (a downed node may learn it late
    /// and exit) and every node must see every host in its inventory (one that sees fewer is not in the one cluster: a
    /// harness failure). Returns what it restarted, for the fault's record.
    /// </summary>
    private async Task<string> RecoverAsync(CancellationToken ct)
    {
        var restarted = new List<string>();
        List<string> missing = [];
        for (var pass = 0; pass < 10; pass++)
        {
            var healthy = true;
            foreach (var node in _cluster.Nodes)
            {
                var (ready, why) = await _cluster.WaitNodeReadyAsync(node, ReadyLimit, _time, ct);
                if (ready)
                {
                    continue;
                }

                healthy = false;
                _out.WriteLine($"chaos: {_time.GetUtcNow():HH:mm:ss} {node.Name} not ready ({why}); restarting it");
                _cluster.RestartNode(node);
                restarted.Add($"{node.Name} ({why})");
                var (up, stillWhy) = await _cluster.WaitNodeReadyAsync(node, RestartLimit, _time, ct);
                if (!up)
                {
                    throw new LocalClusterException($"{node.Name} not ready {RestartLimit.TotalSeconds:0} s after its restart ({stillWhy}); last lines of {node.LogPath}:{Environment.NewLine}{LocalCluster.Tail(node.LogPath)}");
                }
            }

            if (healthy && pass > 0 && (missing = await HostsMissingAsync(ct)).Count == 0)
            {
                return restarted.Count == 0 ? string.Empty : $"; restarted {string.Join(", ", restarted)}";
            }

            await DelayAsync(TimeSpan.FromSeconds(3), ct);
        }

        // Ready nodes that do not see every host are not one cluster (a node that formed a cluster of its own): the run
        // cannot go on as if the fault had healed.
        throw new LocalClusterException($"the cluster did not become whole after the fault: {(missing.Count == 0 ? "a node stayed not ready" : string.Join("; ", missing))}");
    }

    /// <summary>What each node misses of the inventory: every node must see every host, or it is not in the one cluster.</summary>
    private async Task<List<string>> HostsMissingAsync(CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var node in _cluster.Nodes)
        {
            try
            {
                using var api = Client(node);
                var hosts = (await api.GetHostsAsync(ct)).Value;
                if (hosts.Count < _cluster.Hosts)
                {
                    missing.Add($"{node.Name} sees {hosts.Count} of {_cluster.Hosts} hosts ({string.Join(", ", hosts.Select(h => h.Id))})");
                }
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                missing.Add($"{node.Name} did not answer: {e.Message}");
            }
        }

        return missing;
    }

    private async Task SettleAsync(CancellationToken ct)
    {
        var deadline = (_lastHeal ?? _time.GetUtcNow()) + _options.SettleTimeout;
        var open = new List<string>();
        while (true)
        {
            open.Clear();
            var answered = false;
            foreach (var node in _cluster.Nodes)
            {
                try
                {
                    using var api = Client(node);
                    var all = await api.GetMigrationsAsync(new MigrationFilter(State: "active"), ct);
                    List<string> known;
                    lock (_migrations)
                    {
                        known = [.. _migrations];
                    }

                    foreach (var id in all.Value.Where(m => !m.IsTerminal).Select(m => m.Id).Union(known, StringComparer.Ordinal))
                    {
                        ApiResult<ApiMigration> m;
                        try
                        {
                            m = await api.GetMigrationAsync(id, ct);
                        }
                        catch (ApiException e) when (e.Kind == ApiErrorKind.NotFound)
                        {
                            // An evacuation job lists the id it would use for each workload; one that another migration
                            // moved away meanwhile ("Moved") never gets it. (An accepted migrate that never appears is
                            // the checker's: invariant 2.)
                            continue;
                        }

                        if (!m.Value.IsTerminal)
                        {
                            open.Add($"{id} ({m.Value.State}, workload {m.Value.Workload}, {m.Value.Source} -> {m.Value.Target}, epoch {m.Value.Epoch}, updated {m.Value.UpdatedAt:HH:mm:ss})");
                        }
                    }

                    answered = true;
                    break;
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    open.Add($"({node.Name} did not answer: {e.Message})");
                }
            }

            if (answered && open.Count == 0)
            {
                _out.WriteLine("chaos: every migration ended");
                return;
            }

            if (_time.GetUtcNow() > deadline)
            {
                Note($"not settled {_options.SettleTimeout.TotalSeconds:0} s after the last heal: {string.Join(", ", open.Take(10))}");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _time, ct);
        }
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

    private LocalNode NodeOfHost(string host) => _cluster.Nodes.FirstOrDefault(n => n.Name == _hostNode.GetValueOrDefault(host)) ?? _cluster.Nodes[0];

    private async Task PostFaultAsync(LocalNode node, DeviceFault fault, CancellationToken ct)
    {
        using var api = new OrchestratorApiClient(node.Api, _cluster.Token, timeout: TimeSpan.FromSeconds(5), retries: 0); // a fault is injected once or not at all
        try
        {
            await api.InjectDeviceFaultAsync(fault, ct);
        }
        catch (ApiException e) when (e.Kind == ApiErrorKind.Unreachable)
        {
            Note($"device fault {fault.Kind} on {fault.Pf}: {node.Name} did not answer: {e.Message}");
        }
        catch (ApiException e)
        {
            Note($"device fault {fault.Kind} on {fault.Pf} refused by {node.Name}: {e.Message}");
        }
    }

    private string FaultStart(string kind, string target, string detail)
    {
        var id = $"f{++_faultSeq}";
        var now = _time.GetUtcNow();
        _client!.Append(new FaultInjected { Id = id, Kind = kind, Target = target, Start = now, Detail = detail });
        _out.WriteLine($"chaos: {now:HH:mm:ss} fault {id} {kind} {target}: {detail}");
        _starts[id] = now;
        return id;
    }

    private void FaultEnd(string id, string kind, string target, string detail)
    {
        var now = _time.GetUtcNow();
        _client!.Append(new FaultInjected { Id = id, Kind = kind, Target = target, Start = _starts[id], End = now, Detail = detail });
        _out.WriteLine($"chaos: {now:HH:mm:ss} fault {id} healed: {detail}");
        _lastHeal = now;
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

    private OrchestratorApiClient Client(LocalNode node) => new(node.Api, _cluster.Token, timeout: TimeSpan.FromSeconds(5));

    private void Note(string text)
    {
        _notes.Add(text);
        _out.WriteLine($"chaos: {text}");
    }

    private static string Hocon(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
