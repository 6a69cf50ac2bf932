using System.Data.Common;
using LinqToDB.Interceptors;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Sets the journal's per-connection SQLite settings on every connection it opens (neither is stored in the file).
/// <list type="bullet">
/// <item><c>busy_timeout</c>: SQLite lets one transaction write at a time, and every node process on one file (the demo's
/// three nodes) and the journal's parallel batches take turns. Without a busy timeout SQLite answers a
/// taken write lock with SQLITE_BUSY at once and Microsoft.Data.Sqlite sleeps 150 ms before it tries again, so a
/// collision with a 10 ms write cost 150 ms (measured: 151 ms every time; 19 ms with the timeout). With it, SQLite
/// waits inside the call and tries again after 1, 2, 5, 10, 15 … ms. After <see cref="BusyTimeout"/> the library's
/// own retry takes over as before, until the command's timeout.</item>
/// <item><c>synchronous=NORMAL</c> unless the node asks for full sync: under WAL each commit is written to the WAL
/// file without an fsync; the WAL is synced at checkpoints. A committed event survives a crash or kill of the process
/// (the OS still holds the write); only an OS crash or power loss can undo the last commits, and the database stays
/// consistent either way. Measured here: a one-event commit 3.5 ms median, 12 ms p90 with FULL; 0.02 ms with
/// NORMAL.</item>
/// </list>
/// </summary>
internal sealed class SqlitePragmaInterceptor : ConnectionInterceptor
{
    /// <summary>How long SQLite itself waits for another writer before it answers busy.</summary>
    public static TimeSpan BusyTimeout { get; } = TimeSpan.FromSeconds(5);

    public static SqlitePragmaInterceptor NormalSync { get; } = new(fullSync: false);

    public static SqlitePragmaInterceptor FullSync { get; } = new(fullSync: true);

    private readonly string _pragmas;

    private SqlitePragmaInterceptor(bool fullSync) =>
        _pragmas = $"PRAGMA busy_timeout={(int)BusyTimeout.TotalMilliseconds};" + (fullSync ? "" : " PRAGMA synchronous=NORMAL;");

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = _pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
