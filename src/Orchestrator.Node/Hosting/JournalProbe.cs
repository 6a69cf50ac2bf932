using System.Data.Common;
using System.Globalization;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>A cheap check that the journal's database answers (<c>SELECT 1</c>), for <c>/readyz</c>.</summary>
public sealed class JournalProbe(PersistenceProvider provider, string connectionString)
{
    /// <summary>
    /// The journal's highest ordering (0 for an empty or not yet created journal, and for the in-memory one): where the
    /// event feed starts following migration events.
    /// </summary>
    public long MaxOrdering() => MaxOrdering(null);

    /// <summary>
    /// The highest ordering of the events of persistence ids starting with <paramref name="persistenceIdPrefix"/>
    /// (every event when null); 0 as <see cref="MaxOrdering()"/>.
    /// </summary>
    public long MaxOrdering(string? persistenceIdPrefix)
    {
        if (provider == PersistenceProvider.InMemory)
        {
            return 0;
        }

        using var connection = Connection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(ordering) FROM journal" + (persistenceIdPrefix is null ? "" : " WHERE persistence_id LIKE @prefix");
        if (persistenceIdPrefix is not null)
        {
            var prefix = command.CreateParameter();
            prefix.ParameterName = "@prefix";
            prefix.Value = persistenceIdPrefix + "%";
            command.Parameters.Add(prefix);
        }

        try
        {
            return command.ExecuteScalar() is { } max and not DBNull ? Convert.ToInt64(max, CultureInfo.InvariantCulture) : 0;
        }
        catch (DbException e) when (e.Message.Contains("journal", StringComparison.OrdinalIgnoreCase))
        {
            return 0; // no such table yet: nothing was ever written
        }
    }

    private DbConnection Connection() => JournalStorage.Connection(provider, connectionString);

    /// <summary>Null when the database answered, else why not.</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        if (provider == PersistenceProvider.InMemory)
        {
            return null;
        }

        try
        {
            await using var connection = Connection();
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
