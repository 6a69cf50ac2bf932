using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>A cheap check that the journal's database answers (<c>SELECT 1</c>), for <c>/readyz</c>.</summary>
public sealed class JournalProbe(PersistenceProvider provider, string connectionString)
{
    /// <summary>Null when the database answered, else why not.</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        if (provider == PersistenceProvider.InMemory)
        {
            return null;
        }

        try
        {
            await using DbConnection connection = provider == PersistenceProvider.PostgreSql
                ? new NpgsqlConnection(connectionString)
                : new SqliteConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(ct);
            return null;
        }
        catch (DbException e)
        {
            return $"journal database ({provider}) does not answer: {e.Message}";
        }
        catch (InvalidOperationException e)
        {
            return $"journal database ({provider}) does not answer: {e.Message}";
        }
    }
}
