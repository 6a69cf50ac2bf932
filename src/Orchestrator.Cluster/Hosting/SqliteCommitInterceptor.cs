using System.Data.Common;
using LinqToDB.Interceptors;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Runs <c>PRAGMA synchronous=NORMAL</c> on every SQLite connection the journal opens (the setting is per connection,
/// not stored in the file). Under WAL, NORMAL writes each commit to the WAL file without an fsync; the WAL is synced
/// at checkpoints. A committed event survives a crash or kill of the process (the OS still holds the write); only an
/// OS crash or power loss can undo the last commits, and the database stays consistent either way. Measured here: a
/// one-event commit 3.5 ms median, 12 ms p90 with FULL; 0.02 ms with NORMAL.
/// </summary>
internal sealed class SqliteCommitInterceptor : ConnectionInterceptor
{
    public static SqliteCommitInterceptor Instance { get; } = new();

    private const string Pragma = "PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
