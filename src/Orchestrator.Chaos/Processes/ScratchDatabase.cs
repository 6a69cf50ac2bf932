using System.Globalization;
using Npgsql;

namespace Orchestrator.Chaos.Processes;

/// <summary>
/// A fresh PostgreSQL database on the server of <c>ORCHESTRATOR_PG</c> (set by <c>.ci/run</c> once it installed and
/// started PostgreSQL), for one chaos run or one test, dropped at the end: no run sees another's journal. A database
/// the server could not drop (it was down) is left with a recognisable name.
/// </summary>
public sealed class ScratchDatabase : IDisposable, IAsyncDisposable
{
    /// <summary>The environment variable holding the admin connection string.</summary>
    public const string Variable = "ORCHESTRATOR_PG";

    private readonly string _admin;
    private readonly string _name;

    private ScratchDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The new database's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>The admin connection string, or null when no server was configured.</summary>
    public static string? AdminConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } admin ? admin : null;

    /// <summary>Creates <c>PREFIX_PID_TICKS</c> on the server of <see cref="Variable"/>.</summary>
    public static Task<ScratchDatabase> CreateAsync(string prefix, CancellationToken ct = default) =>
        CreateAsync(prefix, AdminConnectionString ?? throw new InvalidOperationException($"{Variable} is not set"), ct);

    /// <summary>
    /// Creates <c>PREFIX_PID_TICKS</c> (lower case: PostgreSQL folds unquoted names) on the server of
    /// <paramref name="server"/>, from its <c>postgres</c> database, which every server has (the one the connection
    /// string names may not exist yet).
    /// </summary>
    public static async Task<ScratchDatabase> CreateAsync(string prefix, string server, CancellationToken ct = default)
    {
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString;
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Environment.ProcessId}_{Environment.TickCount64}_{Random.Shared.Next(1000)}").ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        return new ScratchDatabase(admin, name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    /// <summary>Waits until the database accepts a connection again (after a server restart), up to <paramref name="limit"/>.</summary>
    public async Task WaitReachableAsync(TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await drop.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 30)
                {
                    // FORCE ends only the backends of this role: an autovacuum worker that a run's writes started on the
                    // database refuses it ("must be a member of the role whose process is being terminated"), and
                    // ends on its own.
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            }
        }
        catch (NpgsqlException)
        {
            // The server is gone; the database is left behind with a recognisable name.
        }
    }
}
