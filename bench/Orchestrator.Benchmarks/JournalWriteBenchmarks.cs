using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using BenchmarkDotNet.Attributes;
using Orchestrator.Chaos.Processes;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Domain.Ids;
using static Orchestrator.Domain.Migrations.MigrationEvents;

namespace Orchestrator.Benchmarks;

/// <summary>
/// One checkpoint of a coordinator: a migration event persisted through the node's own journal configuration
/// (Akka.Persistence.Sql, the migration tag adapter, SQLite in WAL with <c>synchronous=NORMAL</c>, or PostgreSQL when
/// <c>ORCHESTRATOR_PG</c> names a server: a database of its own, dropped at the end), from <c>Persist</c> to its
/// handler. <see cref="TagWriteMode"/> <c>TagTable</c> is how earlier builds kept the tag (a row of a table of its
/// own: the event's row is inserted alone for its ordering, then the tag row), <c>Csv</c> how the node keeps it now
/// (in the event's row, one insert); <see cref="Tagged"/> false writes the same event with no tag.
/// </summary>
[MemoryDiagnoser]
public class JournalWriteBenchmarks
{
    private JournalBench? _journal;
    private IActorRef _writer = ActorRefs.Nobody;

    /// <summary>Whether the event carries the migration tag (as every coordinator checkpoint does).</summary>
    [Params(true, false)]
    public bool Tagged { get; set; }

    /// <summary>Akka.Persistence.Sql's <c>tag-write-mode</c>.</summary>
    [Params("Csv", "TagTable")]
    public string TagWriteMode { get; set; } = "Csv";

    /// <summary>The journal's database.</summary>
    [ParamsSource(nameof(Providers))]
    public PersistenceProvider Provider { get; set; }

    /// <summary>SQLite always; PostgreSQL when <c>ORCHESTRATOR_PG</c> is set.</summary>
    public static IEnumerable<PersistenceProvider> Providers() =>
        ScratchDatabase.AdminConnectionString is null
            ? [PersistenceProvider.Sqlite]
            : [PersistenceProvider.Sqlite, PersistenceProvider.PostgreSql];

    [GlobalSetup]
    public void Setup()
    {
        _journal = new JournalBench(Provider, $"akka.persistence.journal.sql.tag-write-mode = {TagWriteMode}");
        _writer = _journal.System.ActorOf(Props.Create(() => new Writer($"journal-bench-{Guid.NewGuid():N}", Tagged)));
        // The first write creates the tables and opens the connections.
        _writer.Ask<long>(Writer.Write.Instance, JournalBench.Timeout).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _journal?.Dispose();

    /// <summary>One event persisted and acknowledged, nothing else in flight.</summary>
    [Benchmark]
    public Task<long> Persist_one_checkpoint() => _writer.Ask<long>(Writer.Write.Instance, JournalBench.Timeout);

    internal sealed class Writer(string persistenceId, bool tagged) : UntypedPersistentActor
    {
        public sealed class Write
        {
            public static readonly Write Instance = new();
        }

        private static readonly MigrationId Id = MigrationId.New(Guid.NewGuid());

        public override string PersistenceId { get; } = persistenceId;

        protected override void OnCommand(object message)
        {
            if (message is Write)
            {
                var evt = new TargetLoaded(Id, Epoch.Of(1), DateTimeOffset.UtcNow);
                // A Tagged with no tag reaches the journal as it is: the adapter binds to the event's type only.
                object written = tagged ? evt : new Tagged(evt, []);
                var sender = Sender;
                Persist(written, _ => sender.Tell(LastSequenceNr));
            }
        }

        protected override void OnRecover(object message)
        {
        }
    }
}

/// <summary>
/// Many coordinators' checkpoints at once, as under a burst: <see cref="Writers"/> actors each persist one tagged
/// migration event at the same moment, timed until every one is acknowledged. With <see cref="Parallelism"/> above 1,
/// Akka.Persistence.Sql writes that many batches in transactions of their own at once (SQLite lets one transaction
/// write at a time, and Microsoft.Data.Sqlite retries a busy one after sleeping 150 ms); with 1, what arrives while a
/// batch is written goes in the next one.
/// </summary>
[MemoryDiagnoser]
public class JournalBurstBenchmarks
{
    private JournalBench? _journal;
    private IActorRef[] _writers = [];

    /// <summary>How many actors persist at once.</summary>
    [Params(16)]
    public int Writers { get; set; }

    /// <summary>Akka.Persistence.Sql's <c>parallelism</c>: batches written at once (the node keeps the default, 3).</summary>
    [Params(1, 3)]
    public int Parallelism { get; set; }

    /// <summary>The journal's database.</summary>
    [ParamsSource(nameof(Providers))]
    public PersistenceProvider Provider { get; set; }

    /// <summary>SQLite always; PostgreSQL when <c>ORCHESTRATOR_PG</c> is set.</summary>
    public static IEnumerable<PersistenceProvider> Providers() => JournalWriteBenchmarks.Providers();

    [GlobalSetup]
    public void Setup()
    {
        _journal = new JournalBench(Provider, $"akka.persistence.journal.sql.parallelism = {Parallelism}");
        _writers = [.. Enumerable.Range(0, Writers).Select(i => _journal.System.ActorOf(Props.Create(() => new JournalWriteBenchmarks.Writer($"journal-burst-{i}-{Guid.NewGuid():N}", true))))];
        Persist_at_once().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _journal?.Dispose();

    /// <summary>Every writer persists one event; done when all are acknowledged.</summary>
    [Benchmark]
    public Task Persist_at_once() => Task.WhenAll(_writers.Select(w => w.Ask<long>(JournalWriteBenchmarks.Writer.Write.Instance, JournalBench.Timeout)));
}

/// <summary>An actor system on the node's own journal configuration, on SQLite in a temporary directory or on a
/// PostgreSQL database of its own (from <c>ORCHESTRATOR_PG</c>), removed on dispose.</summary>
internal sealed class JournalBench : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _directory;
    private readonly ScratchDatabase? _database;

    public JournalBench(PersistenceProvider provider, string hocon)
    {
        _directory = Directory.CreateTempSubdirectory("journal-bench-").FullName;
        if (provider == PersistenceProvider.PostgreSql)
        {
            _database = ScratchDatabase.CreateAsync("journal_bench").GetAwaiter().GetResult();
        }

        var settings = new NodeSettings
        {
            NodeName = "bench",
            Port = 0,
            Persistence = provider,
            ConnectionString = _database?.ConnectionString ?? $"Data Source={Path.Combine(_directory, "journal.db")}",
            ExtraHocon = $"akka.loglevel = WARNING\n{hocon}",
        };
        System = ActorSystem.Create("bench", JournalStorage.PrepareSystem(settings));
    }

    public ActorSystem System { get; }

    public void Dispose()
    {
        System.Terminate().Wait(Timeout);
        Directory.Delete(_directory, recursive: true);
        _database?.Dispose();
    }
}
