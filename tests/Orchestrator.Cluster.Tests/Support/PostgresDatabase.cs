using Npgsql;

namespace Orchestrator.Cluster.Tests.Support;

/// <summary>
/// A fresh PostgreSQL database for one test, created through <c>ORCHESTRATOR_PG</c> (set by .ci/run after it
/// installs and starts PostgreSQL) and dropped afterwards.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string Variable = "ORCHESTRATOR_PG";

    private readonly string _admin;
    private readonly string _name;

    private PostgresDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static string? AdminConnectionString => Environment.GetEnvironmentVariable(Variable);

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = AdminConnectionString ?? throw new InvalidOperationException($"{Variable} is not set");
        var name = "orch_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new PostgresDatabase(admin, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>A theory that needs PostgreSQL: skipped, saying why, when <c>ORCHESTRATOR_PG</c> is not set (CI sets it).</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresDatabase.AdminConnectionString is null)
        {
            Skip = $"{PostgresDatabase.Variable} is not set; .ci/run installs PostgreSQL and sets it";
        }
    }
}
