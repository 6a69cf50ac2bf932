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
}
