using System.Data.Common;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// Moves the migration tag of a journal written by earlier builds into the journal row itself. The journal keeps
/// its tags in the row (Akka.Persistence.Sql <c>tag-write-mode = Csv</c>, the <c>tags</c> column), so that a tagged
/// event is inserted with the others of its batch in one statement; earlier builds kept them in a table of their own
/// (<c>TagTable</c>), which costs an insert per event to learn its ordering and a second insert for the tag
/// (issue 16). A journal those builds created has no <c>tags</c> column (Akka.Persistence.Sql leaves it out in that
/// mode) and its migration events are tagged only in the <c>tags</c> table: this adds the column, copies the tag
/// into the rows and deletes the tag rows it copied, in one transaction. Idempotent and cheap once done (nothing
/// left to copy), so every start runs it (<see cref="JournalStorage.Prepare"/>, and the migration feed's first read);
/// with several nodes on one database the first one to run it does the work.
/// </summary>
public static class JournalTagUpgrade
{
    // What Akka.Persistence.Sql writes in the column for one tag (its separator is ';').
    private const string CsvTag = ";" + MigrationEventTagger.Tag + ";";

    /// <summary>
    /// Whether a node of <paramref name="config"/> keeps tags in the row, the layout this upgrade moves to. A node
    /// configured to keep them in their own table (<c>tag-write-mode = TagTable</c>, as earlier builds did) must not
    /// run it: it would move that node's own tag rows away from where it reads them.
    /// </summary>
    public static bool AppliesTo(Akka.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return string.Equals(config.GetString(OrchestratorConfig.JournalPluginId + ".tag-write-mode"), "Csv", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Runs the upgrade: true when it changed the database (a column added or tags copied). A no-op in memory, and for
    /// a database without a journal yet (the journal creates its table with the column).
    /// </summary>
    public static async Task<bool> RunAsync(PersistenceProvider provider, string connectionString, CancellationToken ct)
    {
        if (provider == PersistenceProvider.InMemory)
        {
            return false;
        }

        var connection = JournalStorage.Connection(provider, connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            var postgres = provider == PersistenceProvider.PostgreSql;
            if (!await ExistsAsync(connection, postgres
                    ? "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'journal'"
                    : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal'", null, ct).ConfigureAwait(false))
            {
                return false;
            }

            // Most starts have nothing to do: find that out without a transaction (on SQLite one takes the write lock).
            if (await ExistsAsync(connection, HasColumn(postgres), null, ct).ConfigureAwait(false)
                && !await TagsLeftAsync(connection, postgres, null, ct).ConfigureAwait(false))
            {
                return false;
            }

            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var changed = false;
                if (!await ExistsAsync(connection, HasColumn(postgres), transaction, ct).ConfigureAwait(false))
                {
                    // As Akka.Persistence.Sql creates it in Csv mode.
                    await ExecuteAsync(connection, postgres
                        ? "ALTER TABLE journal ADD COLUMN IF NOT EXISTS tags VARCHAR(100)"
                        : "ALTER TABLE journal ADD COLUMN tags VARCHAR(100)", transaction, ct).ConfigureAwait(false);
                    changed = true;
                }

                if (await TagsLeftAsync(connection, postgres, transaction, ct).ConfigureAwait(false))
                {
                    var copied = await ExecuteAsync(connection,
                        $"UPDATE journal SET tags = '{CsvTag}' WHERE ordering IN (SELECT ordering_id FROM tags WHERE tag = '{MigrationEventTagger.Tag}')",
                        transaction, ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, $"DELETE FROM tags WHERE tag = '{MigrationEventTagger.Tag}'", transaction, ct).ConfigureAwait(false);
                    changed |= copied > 0;
                }

                await transaction.CommitAsync(ct).ConfigureAwait(false);
                return changed;
            }
        }
    }

    private static string HasColumn(bool postgres) => postgres
        ? "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'journal' AND column_name = 'tags'"
        : "SELECT 1 FROM pragma_table_info('journal') WHERE name = 'tags'";

    // A tags table that still holds a migration tag (the table itself stays: the journal no longer reads it).
    private static async Task<bool> TagsLeftAsync(DbConnection connection, bool postgres, DbTransaction? transaction, CancellationToken ct) =>
        await ExistsAsync(connection, postgres
            ? "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'tags'"
            : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tags'", transaction, ct).ConfigureAwait(false)
        && await ExistsAsync(connection, $"SELECT 1 FROM tags WHERE tag = '{MigrationEventTagger.Tag}' LIMIT 1", transaction, ct).ConfigureAwait(false);

    private static async Task<bool> ExistsAsync(DbConnection connection, string sql, DbTransaction? transaction, CancellationToken ct)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            command.Transaction = transaction;
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        }
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, string sql, DbTransaction transaction, CancellationToken ct)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            command.Transaction = transaction;
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
