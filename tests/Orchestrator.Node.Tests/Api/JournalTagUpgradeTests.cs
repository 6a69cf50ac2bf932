using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Persistence;
using Orchestrator.Node.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// The migration tag moved from a table of its own (Akka.Persistence.Sql <c>TagTable</c>, earlier builds) into the
/// journal row (<c>Csv</c>): a node started on a journal that an earlier build wrote still lists the migrations that
/// build ran in <c>GET /migrations/history</c> and resumes <c>GET /events</c> over them, in one order with its own.
/// </summary>
public sealed class JournalTagUpgradeTests : IDisposable
{
    // What an earlier build ran: both sides of the journal in TagTable mode.
    private const string EarlierBuild = """
        akka.persistence.journal.sql.tag-write-mode = TagTable
        akka.persistence.query.journal.sql.tag-read-mode = TagTable
        """;

    private static readonly ApiEventFilter Migrations = new(Types: ["migration"]);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("orchestrator-tag-upgrade-test-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // The OS temp cleaner gets what a late writer still holds.
        }
    }

    [Fact]
    public Task Sqlite() => RunAsync(PersistenceProvider.Sqlite, $"Data Source={Path.Combine(_dir.FullName, "journal.db")}");

    /// <summary>
    /// A node configured to keep tags in their own table (as earlier builds did, and as <see cref="Sqlite"/>'s first
    /// node is) leaves that layout alone; the upgrade is for a node that keeps them in the row. The migration feed's
    /// first read used to run it regardless: when the journal's table existed by then, it added the column under the
    /// earlier build's node (a CI failure of <see cref="Sqlite"/>).
    /// </summary>
    [Fact]
    public async Task Only_a_node_that_keeps_tags_in_the_row_moves_them_there()
    {
        var connectionString = $"Data Source={Path.Combine(_dir.FullName, "layout.db")}";
        await ScalarAsync(PersistenceProvider.Sqlite, connectionString, """
            CREATE TABLE journal (ordering INTEGER PRIMARY KEY, persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL,
                deleted BOOLEAN NOT NULL, created BIGINT NOT NULL, message BLOB NOT NULL, identifier INT, manifest VARCHAR(500) NOT NULL, writer_uuid VARCHAR(128));
            CREATE TABLE tags (ordering_id BIGINT NOT NULL, tag VARCHAR(64) NOT NULL, persistence_id VARCHAR(255) NOT NULL, sequence_nr BIGINT NOT NULL);
            """);
        NodeSettings Settings(string? extraHocon) => new() { Persistence = PersistenceProvider.Sqlite, ConnectionString = connectionString, ExtraHocon = extraHocon };
        const string HasTags = "SELECT 1 FROM pragma_table_info('journal') WHERE name = 'tags'";

        var earlier = OrchestratorConfig.Build(Settings(EarlierBuild));
        Assert.False(JournalTagUpgrade.AppliesTo(earlier));
        JournalStorage.Prepare(Settings(EarlierBuild), earlier);
        Assert.Null(await ScalarAsync(PersistenceProvider.Sqlite, connectionString, HasTags));

        var current = OrchestratorConfig.Build(Settings(null));
        Assert.True(JournalTagUpgrade.AppliesTo(current));
        JournalStorage.Prepare(Settings(null), current);
        Assert.NotNull(await ScalarAsync(PersistenceProvider.Sqlite, connectionString, HasTags));
    }

    [PostgresTheory]
    [InlineData("fresh database")]
    public async Task Postgres(string _)
    {
        await using var database = await ScratchDatabase.CreateAsync("orch_tags");
        await RunAsync(PersistenceProvider.PostgreSql, database.ConnectionString);
    }

    /// <summary>Nodes of one cluster start at the same time on one database: every upgrade ends, the tags are copied once.</summary>
    [PostgresTheory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Postgres_upgrades_started_at_once(int starts)
    {
        await using var database = await ScratchDatabase.CreateAsync("orch_tags");
        const PersistenceProvider Pg = PersistenceProvider.PostgreSql;
        // The layout TagTable mode leaves (no tags column; the tag rows apart), with 30 000 events of which 10 000 tagged, enough that one upgrade is still copying when the others look.
        await ScalarAsync(Pg, database.ConnectionString, """
            CREATE TABLE journal (ordering BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, persistence_id VARCHAR(255) NOT NULL,
                sequence_number BIGINT NOT NULL, deleted BOOLEAN NOT NULL, created BIGINT NOT NULL, message BYTEA NOT NULL,
                identifier INT, manifest VARCHAR(500) NOT NULL, writer_uuid VARCHAR(128));
            CREATE TABLE tags (ordering_id BIGINT NOT NULL, tag VARCHAR(64) NOT NULL, persistence_id VARCHAR(255) NOT NULL,
                sequence_nr BIGINT NOT NULL, PRIMARY KEY (ordering_id, tag, persistence_id));
            INSERT INTO journal (persistence_id, sequence_number, deleted, created, message, identifier, manifest)
                SELECT CASE WHEN g % 3 = 0 THEN 'migration-m-' || g ELSE 'host-' || g END, 1, false, 0, '\x00', 1, 'X.v1'
                FROM generate_series(1, 30000) g;
            INSERT INTO tags SELECT ordering, 'migration', persistence_id, sequence_number FROM journal WHERE persistence_id LIKE 'migration-%';
            """);

        var changed = await Task.WhenAll(Enumerable.Range(0, starts).Select(_ => Task.Run(() => JournalTagUpgrade.RunAsync(Pg, database.ConnectionString, CancellationToken.None))));

        Assert.Contains(true, changed);
        Assert.Equal(0L, await CountAsync(database.ConnectionString, "SELECT COUNT(*) FROM tags"));
        Assert.Equal(10_000L, await CountAsync(database.ConnectionString, "SELECT COUNT(*) FROM journal WHERE tags = ';migration;'"));
        Assert.Equal(20_000L, await CountAsync(database.ConnectionString, "SELECT COUNT(*) FROM journal WHERE tags IS NULL"));
        Assert.False(await JournalTagUpgrade.RunAsync(Pg, database.ConnectionString, CancellationToken.None));
        NpgsqlConnection.ClearAllPools();

        static async Task<long> CountAsync(string connectionString, string sql) =>
            Convert.ToInt64(await ScalarAsync(PersistenceProvider.PostgreSql, connectionString, sql), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task RunAsync(PersistenceProvider provider, string connectionString)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "topology.yaml"), ApiNode.Topology, cts.Token);

        // An earlier build runs a migration to its end.
        string first;
        await using (var node = await StartAsync(provider, connectionString, EarlierBuild))
        {
            first = (await node.Api.StartMigrationAsync("vm-1", "host-b", "upgrade-1", cts.Token)).Value.Id;
            await WaitForEndAsync(node.Api, first, cts.Token);
        }

        // It left the layout this is about: no tags column, its events tagged in the tags table.
        Assert.Null(await ScalarAsync(provider, connectionString, provider == PersistenceProvider.PostgreSql
            ? "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'journal' AND column_name = 'tags'"
            : "SELECT 1 FROM pragma_table_info('journal') WHERE name = 'tags'"));
        var tagged = Convert.ToInt64(await ScalarAsync(provider, connectionString, "SELECT COUNT(*) FROM tags WHERE tag = 'migration'"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(tagged >= 5, $"{tagged} tag rows");

        // This build starts on that journal and runs one more.
        await using (var node = await StartAsync(provider, connectionString, null))
        {
            var second = (await node.Api.StartMigrationAsync("vm-2", "host-b", "upgrade-2", cts.Token)).Value.Id;
            await WaitForEndAsync(node.Api, second, cts.Token);

            var history = (await node.Api.GetMigrationHistoryAsync(ct: cts.Token)).Value;
            Assert.Equal([first, second], history.Select(m => m.Id));

            // A client that last saw nothing gets the earlier build's migration once, as it ended, then this one's (as it
            // is now, then any step the node's feed had not yet read when the client came: it ended only just now).
            var seen = new List<ApiEvent>();
            await foreach (var e in node.Api.EventsAsync(Migrations, "0", cts.Token))
            {
                seen.Add(e);
                if (e.Migration() is { IsTerminal: true } m && m.Id == second)
                {
                    break;
                }
            }

            var journaled = seen.Where(e => e.Id is not null).ToList();
            Assert.Equal([first, second], journaled.Select(e => e.Migration()!.Id).Distinct());
            Assert.True(Assert.Single(journaled, e => e.Migration()!.Id == first).Migration()!.IsTerminal);
            var ids = journaled.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(ids.Order().Distinct(), ids);
        }

        // Every tag the earlier build wrote is in its row now, and its tag rows are gone: a second start has nothing to do.
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync(provider, connectionString, "SELECT COUNT(*) FROM tags WHERE tag = 'migration'"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Convert.ToInt64(await ScalarAsync(provider, connectionString, "SELECT COUNT(*) FROM journal WHERE tags = ';migration;'"), System.Globalization.CultureInfo.InvariantCulture) >= tagged);
        Assert.False(await JournalTagUpgrade.RunAsync(provider, connectionString, cts.Token));
    }

    private static async Task WaitForEndAsync(OrchestratorApiClient api, string id, CancellationToken ct)
    {
        while (!(await api.GetMigrationAsync(id, ct)).Value.IsTerminal)
        {
            await Task.Delay(100, ct);
        }
    }

    private static async Task<object?> ScalarAsync(PersistenceProvider provider, string connectionString, string sql)
    {
        var connection = JournalStorage.Connection(provider, connectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }
    }

    private async Task<RunningNode> StartAsync(PersistenceProvider provider, string connectionString, string? hocon)
    {
        var options = ApiNode.Options(_dir.FullName);
        options.Persistence = provider == PersistenceProvider.PostgreSql ? "postgresql" : "sqlite";
        options.ConnectionString = connectionString;
        options.HarnessHocon = hocon;
        var app = NodeHost.Build(options, new NodeToken(ApiNode.Token, "test", null), b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        var runtime = await app.Services.GetRequiredService<NodeRuntime>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await runtime.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(20));
        return new RunningNode(app, new OrchestratorApiClient(new Uri("http://localhost"), ApiNode.Token, app.GetTestServer().CreateHandler()));
    }

    private sealed record RunningNode(WebApplication App, OrchestratorApiClient Api) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
        }
    }
}
