using System.Globalization;
using LinqToDB.Data;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>What every connection of the node's SQLite journal is set to (the settings live per connection).</summary>
public sealed class JournalStorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("journal-storage-").FullName;

    [Theory]
    [InlineData(false, 1)] // NORMAL
    [InlineData(true, 2)] // FULL, SQLite's default
    public void A_journal_connection_waits_for_a_busy_writer_inside_sqlite_and_commits_as_configured(bool fullSync, long synchronous)
    {
        var settings = new NodeSettings { ConnectionString = $"Data Source={Path.Combine(_dir, "journal.db")}", SqliteFullSync = fullSync };

        using var connection = new DataConnection(JournalStorage.LinqOptions(settings)!);

        Assert.Equal((long)SqlitePragmaInterceptor.BusyTimeout.TotalMilliseconds, Pragma(connection, "busy_timeout"));
        Assert.Equal(synchronous, Pragma(connection, "synchronous"));
    }

    [Fact]
    public void Other_providers_get_no_sqlite_settings()
    {
        Assert.Null(JournalStorage.LinqOptions(new NodeSettings { Persistence = PersistenceProvider.PostgreSql, ConnectionString = "Host=127.0.0.1" }));
        Assert.Null(JournalStorage.DataOptions(new NodeSettings { Persistence = PersistenceProvider.InMemory }));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static long Pragma(DataConnection connection, string name) =>
        Convert.ToInt64(connection.Execute<object>($"PRAGMA {name};"), CultureInfo.InvariantCulture);
}
