using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Orchestrator.Chaos.Harness;

/// <summary>
/// A fresh PostgreSQL database for one chaos run (<c>--db postgres</c>), created on the server of
/// <c>ORCHESTRATOR_PG</c> and dropped at the end, so no run sees another's journal; and the server restart fault.
/// </summary>
public sealed class ChaosDatabase : IDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private ChaosDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ChaosDatabase> CreateAsync(ulong seed, CancellationToken ct)
    {
        var admin = Environment.GetEnvironmentVariable("ORCHESTRATOR_PG")!;
        var name = string.Create(CultureInfo.InvariantCulture, $"chaos_{seed}_{Environment.ProcessId}_{Environment.TickCount64}");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new ChaosDatabase(admin, name, builder.ConnectionString);
    }

    /// <summary><c>pg_ctlcluster VERSION main restart</c>; null when done, else why not.</summary>
    public static async Task<string?> RestartServerAsync(CancellationToken ct)
    {
        var version = Directory.Exists("/etc/postgresql")
            ? Directory.GetDirectories("/etc/postgresql").Select(Path.GetFileName).OrderBy(v => v, StringComparer.Ordinal).LastOrDefault()
            : null;
        if (version is null)
        {
            return "db fault: no local PostgreSQL cluster under /etc/postgresql to restart";
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_ctlcluster", [version, "main", "restart"]) { UseShellExecute = false, RedirectStandardError = true })!;
            var error = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0 ? null : $"db fault: pg_ctlcluster {version} main restart exited {process.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"db fault: pg_ctlcluster cannot run: {e.Message}";
        }
    }

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

    public void Dispose()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The server is gone; the database is left behind with a recognisable name.
        }
    }
}
