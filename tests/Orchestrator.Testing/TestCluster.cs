using Akka.Actor;
using Orchestrator.Chaos.Checker;
using Orchestrator.Cluster.History;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Simulation;
using Orchestrator.Devices.Topology;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Testing;

/// <summary>
/// Several ActorSystems on 127.0.0.1 forming one cluster in the test process, each running the production runtime
/// on the hosts it is given, with one shared SQLite journal (or PostgreSQL). Disposing stops every node and removes
/// the files.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<TestNode> _nodes = [];
    private readonly List<HistoryWriter> _writers = [];
    private HistoryWriter? _harness;

    private TestCluster(Topology topology, string connectionString, PersistenceProvider provider)
    {
        Topology = topology;
        ConnectionString = connectionString;
        Provider = provider;
    }

    public Topology Topology { get; }

    public string ConnectionString { get; }

    public PersistenceProvider Provider { get; }

    public IReadOnlyList<TestNode> Nodes => _nodes;

    public TestNode this[string name] => _nodes.Single(n => n.Name == name);

    /// <summary>Devices by host, shared across node restarts (the hardware outlives the process).</summary>
    public Dictionary<string, HostDevices> Devices { get; } = [];

    public static TestCluster Create(string topologyYaml, PersistenceProvider provider = PersistenceProvider.Sqlite, string? connectionString = null)
    {
        var topology = TopologyLoader.Parse(topologyYaml, "test-topology.yaml").Topology
                       ?? throw new InvalidOperationException("bad test topology");
        var dir = new TempDirectory();
        var conn = connectionString ?? $"Data Source={dir.File("journal.db")}";
        var cluster = new TestCluster(topology, conn, provider);
        dir.Dispose();
        foreach (var host in topology.Hosts)
        {
            cluster.Devices[host.Id] = HostDevices.FromTopology(topology, host.Id, new TopologySimulationOptions { LatencyScale = 0, Seed = 7 });
        }

        return cluster;
    }

    public string JournalPath => Path.Combine(_dir.Path, "journal.db");

    /// <summary>
    /// Starts a node running the named hosts; the first node forms the cluster, the others join it.
    /// <paramref name="extraHocon"/> goes over the node's configuration (a broken build's journal adapter).
    /// </summary>
    public async Task<TestNode> StartNodeAsync(string name, IEnumerable<string> hosts, RuntimeOptions? options = null, IReadOnlyList<string>? roles = null, string? extraHocon = null)
    {
        var settings = new NodeSettings
        {
            NodeName = name,
            Port = 0,
            Persistence = Provider,
            ConnectionString = Provider == PersistenceProvider.Sqlite ? $"Data Source={JournalPath}" : ConnectionString,
            AcceptableHeartbeatPause = TimeSpan.FromSeconds(4), // CI shares 2 cores with the build: do not down a busy node.
            DowningStableAfter = TimeSpan.FromSeconds(2),
            Roles = roles ?? [ClusterRoles.Coordinator, ClusterRoles.Hosts],
            ExtraHocon = extraHocon,
        };
        ThreadPoolSizing.Ensure();
        var system = ActorSystem.Create(ClusterRoles.SystemName, JournalStorage.PrepareSystem(settings));
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seed = _nodes.FirstOrDefault(n => !n.IsStopped);
        await cluster.JoinAsync(seed?.Address ?? cluster.SelfAddress).WaitAsync(TimeSpan.FromSeconds(20));
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // Every node writes its own history, as node processes do; the checker merges them.
        var writer = new HistoryWriter(Path.Combine(_dir.Path, $"history-{name}.jsonl"), name);
        _writers.Add(writer);
        var history = new HistoryDeviceObserver(writer);
        options ??= DefaultOptions;
        var observer = options.Observer is NullDeviceObserver ? (IDeviceObserver)history : new TeeObserver(options.Observer, history);
        options = options with { Observer = observer, OnMigrationChanged = options.OnMigrationChanged + history.MigrationChanged };
        var runtime = OrchestratorRuntime.Start(system, [.. hosts.Select(h => Devices[h])], options);
        var node = new TestNode(name, system, runtime);
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Starts a node running the named hosts (as <see cref="StartNodeAsync"/>) and waits until its copy of the directory
    /// shows them; throws naming the hosts it saw when they do not all appear within 30 s (CI shares 2 cores).
    /// </summary>
    public async Task<TestNode> StartNodeWithHostsAsync(string name, IReadOnlyList<string> hosts, RuntimeOptions? options = null, IReadOnlyList<string>? roles = null, string? extraHocon = null)
    {
        var node = await StartNodeAsync(name, hosts, options, roles, extraHocon);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var seen = await node.Client.WaitForHostsAsync(hosts.Count, TimeSpan.FromSeconds(30));
            if (hosts.All(h => seen.Hosts.Keys.Any(k => k.ToString() == h)))
            {
                return node;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name}: the directory shows [{string.Join(", ", seen.Hosts.Keys.Order())}] after 30 s, not all of [{string.Join(", ", hosts)}]");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The default policy of test nodes (this cluster's and the API tests' node): a downtime limit a busy machine cannot
    /// miss. A fresh PF predicts its load from its one timed arc, so one stall of that run counts twice; one of 150 ms
    /// (injected) predicts over 300 ms in every round: rolled back, NonConvergence, the likeliest cause of a CI
    /// rollback (stop 44). The tests that are about the limit pass their own policy.
    /// </summary>
    public static MigrationPolicy PolicyNotAboutDowntime { get; } = MigrationPolicy.Default with { DowntimeLimit = TimeSpan.FromSeconds(10) };

    public static RuntimeOptions DefaultOptions { get; } = new()
    {
        StepTimeout = TimeSpan.FromSeconds(10),
        PassivateAfterEnd = TimeSpan.FromMinutes(5),
        ClientAskTimeout = TimeSpan.FromSeconds(30), // CI: 2 cores shared with the build and other test assemblies
        DefaultPolicy = PolicyNotAboutDowntime,
    };

    public SimulatedPfDriver Driver(string host, string address) =>
        (SimulatedPfDriver)Devices[host].Drivers.Single(d => d.Descriptor.Address == address);

    /// <summary>Waits until the migration ends (Completed or RolledBack), polling any live node.</summary>
    public async Task<MigrationView> WaitForEndAsync(MigrationId id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        MigrationView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var node = _nodes.First(n => !n.IsStopped);
            try
            {
                // Short asks, retried: one slow answer must not use up the whole wait.
                using var ask = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var result = await node.Client.GetMigrationAsync(id, ask.Token);
                if (result.Value is { } view)
                {
                    last = view;
                    if (view.IsTerminal)
                    {
                        return view;
                    }
                }
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
            {
                // The coordinator is moving between nodes; ask again.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"migration {id} did not end within {timeout}; last seen {last?.State} step {last?.Step} error {last?.LastError}; {await DiagnoseAsync(id)}");
    }

    /// <summary>
    /// Waits until the migration ends (<see cref="WaitForEndAsync"/>) and asserts that it completed; when it ended
    /// otherwise, the failure says how and why (code, reason, step, timeline), not only "RolledBack".
    /// </summary>
    public async Task<MigrationView> WaitForCompletedAsync(MigrationId id, TimeSpan timeout)
    {
        var end = await WaitForEndAsync(id, timeout);
        Assert.True(end.State == MigrationPhase.Completed, DescribeEnd(end));
        return end;
    }

    /// <summary>How a migration ended, for a failure message: state, code, reason, last error, and when each phase began.</summary>
    public static string DescribeEnd(MigrationView view) =>
        $"migration {view.Id} ended {view.State} (code {view.Code ?? "none"}, step {view.Step}): {view.Reason ?? "no reason"}; "
        + $"last error {view.LastError ?? "none"}; {view.Source} -> {view.Target}; "
        + string.Join(" ", view.Timeline.Select(t => $"{t.State}@{t.At:HH:mm:ss.fff}"));

    /// <summary>
    /// Starts a migration of <paramref name="workload"/> to <paramref name="target"/> through <paramref name="node"/>
    /// (under <paramref name="policy"/>, or the node's default) and waits (60 s) until it ends.
    /// </summary>
    public async Task<MigrationView> MigrateAsync(TestNode node, string id, string workload, string target, MigrationPolicy? policy = null)
    {
        var migration = MigrationId.Parse(id);
        var started = await node.Client.StartMigrationAsync(migration, WorkloadId.Parse(workload), HostId.Parse(target), policy);
        Assert.True(started.IsOk, started.Error?.Message);
        return await WaitForEndAsync(migration, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// What a stalled migration's node still does: is the Akka scheduler firing, does the coordinator answer when
    /// asked directly (not through sharding), does the shard region answer.
    /// </summary>
    public async Task<string> DiagnoseAsync(MigrationId id)
    {
        var notes = new List<string>();
        foreach (var node in _nodes.Where(n => !n.IsStopped))
        {
            var system = node.System;
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(10), () => fired.TrySetResult());
            var scheduler = await Task.WhenAny(fired.Task, Task.Delay(2000)) == fired.Task ? "fires" : "DEAD";
            string direct;
            try
            {
                var selection = system.ActorSelection($"/system/sharding/{OrchestratorRuntime.MigrationTypeName}/*/{id}");
                var answer = await selection.Ask<object>(CoordinatorProtocol.GetMigration.Instance, TimeSpan.FromSeconds(3));
                direct = answer is MigrationView v ? $"answers directly ({v.State}/{v.Step})" : $"answers directly ({answer.GetType().Name})";
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException or ActorNotFoundException)
            {
                direct = "no direct answer (" + e.GetType().Name + ")";
            }

            string region;
            try
            {
                var stats = await node.Runtime.Migrations.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(Akka.Cluster.Sharding.GetShardRegionState.Instance, TimeSpan.FromSeconds(3));
                region = $"region answers ({stats.Shards.Count} shards)";
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
            {
                region = "region DOES NOT answer";
            }

            notes.Add($"{node.Name}: scheduler {scheduler}, coordinator {direct}, {region}");
        }

        return string.Join("; ", notes);
    }

    /// <summary>Merges every node's history and runs the invariant checker over it.</summary>
    /// <summary>
    /// Records a fault the test injected itself (the database stopped, say) in a history of its own, as the chaos
    /// harness does: the checker then measures settling from the fault's end, not from each migration's request.
    /// </summary>
    public void RecordFault(string kind, string target, DateTimeOffset start, DateTimeOffset end, string? detail = null)
    {
        lock (_writers)
        {
            _harness ??= new HistoryWriter(Path.Combine(_dir.Path, "history-harness.jsonl"), "harness");
            _harness.Append(new FaultInjected { Kind = kind, Target = target, Start = start, End = end, Detail = detail });
        }
    }

    public CheckReport CheckHistory(CheckOptions? options = null) => HistoryChecker.Check(ReadHistory(), options);

    /// <summary>Every node's history, merged in (t, node, seq) order.</summary>
    public IReadOnlyList<HistoryRecord> ReadHistory() =>
        HistoryReader.ReadFiles(Directory.GetFiles(_dir.Path, "history-*.jsonl")).Records;

    public async ValueTask DisposeAsync()
    {
        // The test is over: terminate every node at once rather than leave one by one (seconds each).
        await Task.WhenAll(_nodes.Where(n => !n.IsStopped).Select(n => n.CrashAsync()));

        foreach (var writer in _writers)
        {
            writer.Dispose();
        }

        _harness?.Dispose();

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>One node of a <see cref="TestCluster"/>.</summary>
public sealed class TestNode(string name, ActorSystem system, OrchestratorRuntime runtime)
{
    public string Name { get; } = name;

    public ActorSystem System { get; } = system;

    public OrchestratorRuntime Runtime { get; } = runtime;

    public OrchestratorClient Client => Runtime.Client;

    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public bool IsStopped { get; private set; }

    /// <summary>Stops the node abruptly (no graceful leave): the others see it unreachable and down it.</summary>
    public async Task CrashAsync()
    {
        IsStopped = true;
        await System.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async Task StopAsync()
    {
        IsStopped = true;
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(TimeSpan.FromSeconds(20));
    }
}
