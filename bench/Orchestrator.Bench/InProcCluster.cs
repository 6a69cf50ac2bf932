using Akka.Actor;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Bench;

/// <summary>One simulated PF of a bench host, with the VFs it starts with (index → workload).</summary>
internal sealed record BenchPf(string Address, DriverModel Model, string Profile, int VfCount, string? WorkloadPrefix, MigrationFlags? Flags = null, int? MaxVfs = null, long? DirtyBytesPerSecond = null, int VfsPerWorkload = 1);

/// <summary>
/// Several ActorSystems on 127.0.0.1 forming one cluster in this process, each running the production runtime
/// (the bench's copy of the cluster tests' <c>TestCluster</c>).
/// </summary>
internal sealed class InProcCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly List<(string Name, ActorSystem System, OrchestratorRuntime Runtime)> _nodes = [];
    private readonly List<ActorSystem> _systems = []; // every member, with or without a runtime

    private InProcCluster(string dir, PersistenceProvider provider)
    {
        _dir = dir;
        Provider = provider;
    }

    public PersistenceProvider Provider { get; }

    /// <summary>The SQLite journal file every member of this cluster shares.</summary>
    public string JournalPath => Path.Combine(_dir, "journal.db");

    public Dictionary<string, SimulatedPfDriver> Drivers { get; } = [];

    public IReadOnlyList<(string Name, ActorSystem System, OrchestratorRuntime Runtime)> Nodes => _nodes;

    public OrchestratorClient Client => _nodes.First(n => !n.System.WhenTerminated.IsCompleted).Runtime.Client;

    public static InProcCluster Create(PersistenceProvider provider = PersistenceProvider.Sqlite)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orchestrator-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return new InProcCluster(dir, provider);
    }

    /// <summary>Builds a host's simulated PFs; VFs named by <see cref="BenchPf.WorkloadPrefix"/> serve workloads.</summary>
    public HostDevices Host(string hostId, double latencyScale, params BenchPf[] pfs)
    {
        var host = HostId.Parse(hostId);
        var drivers = new List<IPfDriver>();
        var workloads = new Dictionary<VfId, WorkloadId>();
        foreach (var pf in pfs)
        {
            var driver = new SimulatedPfDriver(pf.Model, new SimulatedPfConfig(pf.Address, "ConnectX-7", "28.41.1000")
            {
                MaxVfs = pf.MaxVfs,
                Flags = pf.Flags,
                Profiles = [ProfileId.Parse(pf.Profile)],
                Seed = 7,
                LatencyScale = latencyScale,
            });
            for (var i = 0; i < pf.VfCount; i++)
            {
                var vf = driver.AddExistingVf(VfKind.Vfio, ProfileId.Parse(pf.Profile), i, pf.WorkloadPrefix is null ? null : pf.DirtyBytesPerSecond);
                if (pf.WorkloadPrefix is { } prefix)
                {
                    workloads[PfId.Of(host, pf.Address).Vf(vf.Index)] = WorkloadId.Parse(pf.VfsPerWorkload == 1 ? $"{prefix}-{i}" : $"{prefix}-{i / pf.VfsPerWorkload}");
                }
            }

            drivers.Add(driver);
            Drivers[$"{hostId}/{pf.Address}"] = driver;
        }

        return new HostDevices(host, drivers, workloads);
    }

    public async Task<OrchestratorRuntime> StartNodeAsync(string name, IReadOnlyList<HostDevices> hosts, RuntimeOptions options, IReadOnlyList<string>? roles = null, TimeSpan? heartbeatPause = null, TimeSpan? stableAfter = null, string? extraHocon = null)
    {
        var system = await StartSystemAsync(name, roles, heartbeatPause, stableAfter, extraHocon);
        var runtime = OrchestratorRuntime.Start(system, hosts, options);
        _nodes.Add((name, system, runtime));
        return runtime;
    }

    /// <summary>
    /// A cluster member configured as a node (same HOCON builder, journal in <see cref="JournalPath"/>) that has joined
    /// and is Up, with nothing of the runtime started: the caller starts the actors it measures itself.
    /// </summary>
    public async Task<ActorSystem> StartSystemAsync(string name, IReadOnlyList<string>? roles = null, TimeSpan? heartbeatPause = null, TimeSpan? stableAfter = null, string? extraHocon = null)
    {
        var settings = new NodeSettings
        {
            NodeName = name,
            Port = 0,
            Persistence = Provider,
            ConnectionString = $"Data Source={JournalPath}",
            AcceptableHeartbeatPause = heartbeatPause ?? TimeSpan.FromSeconds(4),
            DowningStableAfter = stableAfter ?? TimeSpan.FromSeconds(2),
            Roles = roles ?? [ClusterRoles.Coordinator, ClusterRoles.Hosts],
            ExtraHocon = "akka.loglevel = OFF\nakka.stdout-loglevel = OFF\n" + extraHocon, // the notes carry what matters; node logs would bury the table
        };
        ThreadPoolSizing.Ensure();
        var system = ActorSystem.Create(ClusterRoles.SystemName, JournalStorage.PrepareSystem(settings)); // WAL, as a node runs it
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seed = _systems.FirstOrDefault(s => !s.WhenTerminated.IsCompleted);
        await cluster.JoinAsync(seed is null ? cluster.SelfAddress : Akka.Cluster.Cluster.Get(seed).SelfAddress).WaitAsync(TimeSpan.FromSeconds(30));
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _systems.Add(system);
        return system;
    }

    public static RuntimeOptions Options(ConcurrencyLimits? limits = null) => new()
    {
        Limits = limits ?? ConcurrencyLimits.Default,
        StepTimeout = TimeSpan.FromSeconds(60),
        PassivateAfterEnd = TimeSpan.FromMinutes(10),
        ClientAskTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Starts a migration and polls until it ends; fails unless Completed.</summary>
    public async Task<MigrationView> MigrateAsync(string workload, string target, MigrationPolicy? policy = null, TimeSpan? timeout = null)
    {
        var id = MigrationId.New(Guid.NewGuid());
        await StartAsync(id, workload, target, policy);
        return await WaitCompletedAsync(id, timeout ?? TimeSpan.FromSeconds(120));
    }

    public async Task StartAsync(MigrationId id, string workload, string target, MigrationPolicy? policy = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var started = await Client.StartMigrationAsync(id, WorkloadId.Parse(workload), HostId.Parse(target), policy);
            if (started.IsOk)
            {
                return;
            }

            // The directory lags a gossip round behind the previous migration of this workload: try again.
            if (attempt > 3000)
            {
                throw new InvalidOperationException($"{workload} → {target}: {started.Error}");
            }

            await Task.Delay(20);
        }
    }

    public async Task<MigrationView> WaitCompletedAsync(MigrationId id, TimeSpan timeout, int pollMs = 5)
    {
        var deadline = DateTime.UtcNow + timeout;
        MigrationView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var result = await Client.GetMigrationAsync(id);
                if (result.Value is { } view)
                {
                    last = view;
                    if (view.IsTerminal)
                    {
                        return view.State == MigrationPhase.Completed
                            ? view
                            : throw new InvalidOperationException($"migration {id} {view.State}: {view.Reason} {view.LastError}");
                    }
                }
            }
            catch (AskTimeoutException)
            {
                // The coordinator is moving between nodes.
            }

            await Task.Delay(pollMs);
        }

        throw new TimeoutException($"migration {id} did not end within {timeout}; last {last?.State} {last?.Step} {last?.LastError}");
    }

    public async Task CrashAsync(string name)
    {
        var node = _nodes.Single(n => n.Name == name);
        await node.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_systems.Where(s => !s.WhenTerminated.IsCompleted).Select(s => s.Terminate().WaitAsync(TimeSpan.FromSeconds(30))));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open: leave the temp directory.
        }
    }
}
