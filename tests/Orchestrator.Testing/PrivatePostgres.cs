using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Orchestrator.Testing;

/// <summary>
/// A PostgreSQL server of one test's own (initdb in a temporary directory, a free port on 127.0.0.1), so that the
/// test can stop and start it without disturbing the shared server other tests use. Run as root, the server runs
/// as the <c>postgres</c> user (initdb refuses root). Stopped and deleted on dispose.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private readonly int _port;
    private readonly bool _asPostgres;

    private PrivatePostgres(string bin, string data, int port, bool asPostgres)
    {
        _bin = bin;
        _data = data;
        _port = port;
        _asPostgres = asPostgres;
    }

    /// <summary>Connection string of the test database (trust authentication, 127.0.0.1 only).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=orchestrator;Database=orchestrator;Pooling=true;Timeout=5;Command Timeout=10";

    /// <summary>The directory of PostgreSQL's server binaries, or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    /// <summary>Creates, starts and fills the server with an empty <c>orchestrator</c> database.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (.ci/install installs them)");
        var asPostgres = Environment.UserName == "root";
        var data = Path.Combine(Path.GetTempPath(), "orch-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(data);
        var server = new PrivatePostgres(bin, data, FreePort(), asPostgres);
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", ["postgres:postgres", data]);
            }

            await server.RunPgAsync("initdb", ["-D", data, "-U", "orchestrator", "-A", "trust", "--no-sync", "-E", "UTF8"]);
            await server.StartServerAsync();
            await using var connection = new NpgsqlConnection(server.ConnectionString.Replace("Database=orchestrator", "Database=postgres", StringComparison.Ordinal));
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE orchestrator", connection);
            await create.ExecuteNonQueryAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    public Task StartServerAsync() =>
        RunPgAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(_data, "server.log"), "-w", "-t", "60", "-o", $"-p {_port} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);

    /// <summary>Stops the server at once (fast shutdown: open connections are cut, as when a database host goes away).</summary>
    public async Task StopServerAsync()
    {
        await RunPgAsync("pg_ctl", ["-D", _data, "-m", "fast", "-w", "-t", "60", "stop"]);
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_data, "postmaster.pid")))
            {
                await RunPgAsync("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "-t", "60", "stop"]);
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the directory goes anyway.
        }

        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private Task RunPgAsync(string tool, IReadOnlyList<string> args) =>
        _asPostgres
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A test that runs a PostgreSQL server of its own: skipped, saying why, when the server binaries are not installed (.ci/install installs them).</summary>
public sealed class PostgresServerFactAttribute : FactAttribute
{
    public PostgresServerFactAttribute()
    {
        if (PrivatePostgres.BinDirectory is null)
        {
            Skip = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; .ci/install installs them";
        }
    }
}
