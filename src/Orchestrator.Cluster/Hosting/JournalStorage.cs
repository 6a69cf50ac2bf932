using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Cluster.Hosting;

/// <summary>Prepares the journal's storage before the ActorSystem opens it.</summary>
public static class JournalStorage
{
    /// <summary>
    /// SQLite: switch the file to WAL, so that readers (recovering entities) never block the writer and one writer
    /// never blocks readers; the journal, sharding and every coordinator share the file. A no-op for other providers.
    /// The setting is stored in the file, so doing it once per start is enough.
    /// </summary>
    public static void Prepare(NodeSettings settings)
    {
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
    }

    /// <summary>
    /// What the SQL journal and snapshot plugins read besides the HOCON: for the embedded SQLite default (unless
    /// <see cref="NodeSettings.SqliteFullSync"/>), connections that commit with <c>synchronous=NORMAL</c>
    /// (<see cref="SqliteCommitInterceptor"/>); null for other providers.
    /// </summary>
    public static Setup? DataOptions(NodeSettings settings)
    {
        if (settings.Persistence != PersistenceProvider.Sqlite || settings.SqliteFullSync)
        {
            return null;
        }

        var options = new DataOptions()
            .UseConnectionString(ProviderName.SQLiteMS, settings.ConnectionString)
            .UseInterceptor(SqliteCommitInterceptor.Instance);
        return new DataOptionsSetup(options);
    }

    /// <summary>The set-up of an ActorSystem created directly (tests, bench): the configuration plus <see cref="DataOptions"/>.</summary>
    public static ActorSystemSetup SystemSetup(NodeSettings settings, Config config)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        return DataOptions(settings) is { } data ? bootstrap.And(data) : ActorSystemSetup.Create(bootstrap);
    }
}
