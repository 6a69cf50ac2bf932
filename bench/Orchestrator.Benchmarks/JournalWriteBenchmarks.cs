using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using BenchmarkDotNet.Attributes;
using Npgsql;
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
    private ActorSystem? _system;
    private IActorRef _writer = ActorRefs.Nobody;
    private string? _directory;
    private string? _database;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

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
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG"))
            ? [PersistenceProvider.Sqlite]
            : [PersistenceProvider.Sqlite, PersistenceProvider.PostgreSql];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("journal-bench-").FullName;
        if (Provider == PersistenceProvider.PostgreSql)
        {
            _database = $"journal_bench_{Environment.ProcessId}_{Environment.TickCount64}";
            Admin($"CREATE DATABASE {_database}");
        }

        var settings = new NodeSettings
        {
            NodeName = "bench",
            Port = 0,
            Persistence = Provider,
            ConnectionString = Provider == PersistenceProvider.Sqlite
                ? $"Data Source={Path.Combine(_directory, "journal.db")}"
                : new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG")) { Database = _database }.ConnectionString,
            ExtraHocon = $"akka.loglevel = WARNING\nakka.persistence.journal.sql.tag-write-mode = {TagWriteMode}",
        };
        JournalStorage.Prepare(settings);
        _system = ActorSystem.Create("bench", JournalStorage.SystemSetup(settings, OrchestratorConfig.Build(settings)));
        _writer = _system.ActorOf(Props.Create(() => new Writer($"journal-bench-{Guid.NewGuid():N}", Tagged)));
        // The first write creates the tables and opens the connections.
        _writer.Ask<long>(Writer.Write.Instance, Timeout).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system?.Terminate().Wait(Timeout);
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }

        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            Admin($"DROP DATABASE IF EXISTS {_database}");
        }
    }

    private static void Admin(string sql)
    {
        var admin = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ORCHESTRATOR_PG")) { Database = "postgres" }.ConnectionString;
        using var connection = new NpgsqlConnection(admin);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>One event persisted and acknowledged, nothing else in flight.</summary>
    [Benchmark]
    public Task<long> Persist_one_checkpoint() => _writer.Ask<long>(Writer.Write.Instance, Timeout);

    private sealed class Writer(string persistenceId, bool tagged) : UntypedPersistentActor
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
