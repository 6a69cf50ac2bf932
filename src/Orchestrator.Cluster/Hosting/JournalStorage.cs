using System.Data.Common;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Cluster.Persistence;

namespace Orchestrator.Cluster.Hosting;

/// <summary>Prepares the journal's storage before the ActorSystem opens it.</summary>
public static class JournalStorage
{
    /// <summary>
    /// SQLite: switch the file to WAL, so that readers (recovering entities) never block the writer and one writer
    /// never blocks readers; the journal, sharding and every coordinator share the file. The setting is stored in the
    /// file, so doing it once per start is enough. Then, SQLite or PostgreSQL, the tags of a journal that earlier
    /// builds wrote move into its rows (<see cref="JournalTagUpgrade"/>) before anything writes to it: a PostgreSQL
    /// server that does not answer within <see cref="UpgradeWait"/> leaves that to the migration feed's first read.
    /// <paramref name="config"/> is the node's configuration (<see cref="OrchestratorConfig.Build"/> of
    /// <paramref name="settings"/>), which the caller builds for its ActorSystem anyway.
    /// </summary>
    public static void Prepare(NodeSettings settings, Config config)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(config);
        var upgrade = settings.Persistence != PersistenceProvider.InMemory && JournalTagUpgrade.AppliesTo(config);
        if (settings.Persistence == PersistenceProvider.PostgreSql)
        {
            try
            {
                if (upgrade)
                {
                    JournalTagUpgrade.RunAsync(settings.Persistence, settings.ConnectionString, CancellationToken.None).Wait(UpgradeWait);
                }
            }
            catch (AggregateException e) when (e.InnerException is DbException or TimeoutException or System.Net.Sockets.SocketException)
            {
                // The database is away: the node starts all the same and waits for it as it does for any outage.
            }

            return;
        }

        if (settings.Persistence != PersistenceProvider.Sqlite)
        {
            return;
        }

        var builder = new SqliteConnectionStringBuilder(settings.ConnectionString);
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } dir)
        {
            Directory.CreateDirectory(dir);
        }

        using var connection = new SqliteConnection(settings.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
        if (upgrade)
        {
            JournalTagUpgrade.RunAsync(settings.Persistence, settings.ConnectionString, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    /// <summary>A new, unopened ADO.NET connection to the journal's database (PostgreSQL or SQLite), for what reads or
    /// prepares it outside Akka.Persistence.</summary>
    public static DbConnection Connection(PersistenceProvider provider, string connectionString) =>
        provider == PersistenceProvider.PostgreSql ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);

    /// <summary>How long a node's start waits for PostgreSQL to take the tag upgrade before it goes on without.</summary>
    public static TimeSpan UpgradeWait { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What the SQL journal and snapshot plugins read besides the HOCON (<see cref="LinqOptions"/>); null for other
    /// providers than SQLite.
    /// </summary>
    public static Setup? DataOptions(NodeSettings settings) =>
        LinqOptions(settings) is { } options ? new DataOptionsSetup(options) : null;

    /// <summary>
    /// For the embedded SQLite default: connections that wait for a busy write lock inside SQLite and, unless
    /// <see cref="NodeSettings.SqliteFullSync"/>, commit with <c>synchronous=NORMAL</c> (<see cref="SqlitePragmaInterceptor"/>);
    /// null for other providers.
    /// </summary>
    internal static DataOptions? LinqOptions(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Persistence != PersistenceProvider.Sqlite
            ? null
            : new DataOptions()
                .UseConnectionString(ProviderName.SQLiteMS, settings.ConnectionString)
                .UseInterceptor(settings.SqliteFullSync ? SqlitePragmaInterceptor.FullSync : SqlitePragmaInterceptor.NormalSync);
    }

    /// <summary>
    /// The set-up of an ActorSystem created directly (tests, bench): the node's configuration of
    /// <paramref name="settings"/> (<see cref="OrchestratorConfig.Build"/>) plus <see cref="DataOptions"/>, once the
    /// journal's storage is prepared for it (<see cref="Prepare"/>).
    /// </summary>
    public static ActorSystemSetup PrepareSystem(NodeSettings settings)
    {
        var config = OrchestratorConfig.Build(settings);
        Prepare(settings, config);
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        return DataOptions(settings) is { } data ? bootstrap.And(data) : ActorSystemSetup.Create(bootstrap);
    }
}
