using System.Net;
using System.Text.Json;
using Orchestrator.Client;
using Orchestrator.Node.Api;
using Orchestrator.Testing;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// <c>GET /migrations/history</c>: every ended migration, read from the journal, on a node whose index keeps no ended
/// one (<c>runtime.index-max-ended</c> 0), so that only the journal can answer.
/// </summary>
public sealed class MigrationHistoryApiTests : IAsyncLifetime
{
    private readonly ApiNode _node = new() { Configure = o => o.IndexMaxEnded = 0 };

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Lists_every_ended_migration_in_end_order_once_while_more_end_and_filters_narrow_it()
    {
        var first = await MigrateAsync("vm-1", "host-b");
        var second = await MigrateAsync("vm-2", "host-b");
        var third = await MigrateAsync("vm-1", "host-a");

        // The index let them go: GET /migrations lists none of them.
        await Eventually.AssertAsync(async () => Assert.Empty(Ids(await ListAsync("/api/v1/migrations"))), TimeSpan.FromSeconds(20));

        var all = await ListAsync("/api/v1/migrations/history");
        Assert.Equal([first.Id, second.Id, third.Id], Ids(all));
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);
        foreach (var item in all.GetProperty("items").EnumerateArray())
        {
            // The same resource as GET /migrations/{id}, as it ended.
            var byId = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, $"/api/v1/migrations/{item.Str("id")}", auth: false), HttpStatusCode.OK);
            Assert.Equal(byId.GetRawText(), item.GetRawText());
            Assert.True(item.GetProperty("terminal").GetBoolean());
        }

        // One a page: each exactly once, in the order they ended, also one that ends while the client pages.
        var page1 = await ListAsync("/api/v1/migrations/history?limit=1");
        Assert.Equal([first.Id], Ids(page1));
        var fourth = await MigrateAsync("vm-2", "host-a");
        var page2 = await ListAsync($"/api/v1/migrations/history?limit=1&cursor={page1.Str("nextCursor")}");
        Assert.Equal([second.Id], Ids(page2));
        var page3 = await ListAsync($"/api/v1/migrations/history?limit=1&cursor={page2.Str("nextCursor")}");
        Assert.Equal([third.Id], Ids(page3));
        var page4 = await ListAsync($"/api/v1/migrations/history?limit=1&cursor={page3.Str("nextCursor")}");
        Assert.Equal([fourth.Id], Ids(page4));
        Assert.Equal(JsonValueKind.Null, page4.GetProperty("nextCursor").ValueKind);

        // A cursor is where its page ended, for good: the same one answers the same next page again.
        Assert.Equal([second.Id], Ids(await ListAsync($"/api/v1/migrations/history?limit=1&cursor={page1.Str("nextCursor")}")));
        var rest = await ListAsync($"/api/v1/migrations/history?cursor={page2.Str("nextCursor")}");
        Assert.Equal([third.Id, fourth.Id], Ids(rest));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("nextCursor").ValueKind);

        // Filters: the workload, and the host as source or target.
        Assert.Equal([first.Id, third.Id], Ids(await ListAsync("/api/v1/migrations/history?workload=vm-1")));
        Assert.Equal([second.Id, fourth.Id], Ids(await ListAsync("/api/v1/migrations/history?workload=vm-2&host=host-b")));
        Assert.Equal([first.Id, second.Id, third.Id, fourth.Id], Ids(await ListAsync("/api/v1/migrations/history?host=host-a")));
        Assert.Empty(Ids(await ListAsync("/api/v1/migrations/history?host=host-c")));
        Assert.Empty(Ids(await ListAsync("/api/v1/migrations/history?workload=vm-6")));
        var filtered = await ListAsync("/api/v1/migrations/history?workload=vm-1&limit=1");
        Assert.Equal([first.Id], Ids(filtered));
        filtered = await ListAsync($"/api/v1/migrations/history?workload=vm-1&limit=1&cursor={filtered.Str("nextCursor")}");
        Assert.Equal([third.Id], Ids(filtered));
        Assert.Equal(JsonValueKind.Null, filtered.GetProperty("nextCursor").ValueKind);

        // A filter that lets nothing through reads at most its share per page, each page going on where the last stopped.
        var journal = _node.Node.Runtime!.Client.Journal!;
        var none = new MigrationHistoryQuery(Domain.Ids.WorkloadId.Parse("vm-6"), null, 1, null);
        var short1 = await journal.EndedAsync(0, 1, none.Matches, examined: 2, CancellationToken.None);
        Assert.Empty(short1.Items);
        Assert.NotNull(short1.Next);
        var short2 = await journal.EndedAsync(short1.Next.Value, 1, none.Matches, examined: 2, CancellationToken.None);
        Assert.Empty(short2.Items);
        Assert.True(short2.Next > short1.Next);
        var short3 = await journal.EndedAsync(short2.Next!.Value, 1, none.Matches, examined: 2, CancellationToken.None);
        Assert.Empty(short3.Items);
        Assert.Null(short3.Next);
    }

    private async Task<ApiMigration> MigrateAsync(string workload, string target)
    {
        var started = await Json.ReadAsync(
            await _node.SendAsync(HttpMethod.Post, "/api/v1/migrations", $$"""{"workload": "{{workload}}", "target": "{{target}}"}""", idempotencyKey: Guid.NewGuid().ToString()),
            HttpStatusCode.Accepted);
        return await _node.WaitForCompletedAsync(started.Str("id"));
    }

    private async Task<JsonElement> ListAsync(string path) =>
        await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, path, auth: false), HttpStatusCode.OK);

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(m => m.Str("id"))];
}

/// <summary><c>GET /migrations/history</c> on a node whose journal is in memory: 501, saying why.</summary>
public sealed class MigrationHistoryInMemoryTests : IAsyncLifetime
{
    private readonly ApiNode _node = new() { Configure = o => o.Persistence = "memory" };

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task An_in_memory_journal_answers_501_naming_the_missing_order()
    {
        var response = await _node.SendAsync(HttpMethod.Get, "/api/v1/migrations/history", auth: false);
        var problem = await Json.ReadAsync(response, HttpStatusCode.NotImplemented);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("in memory", problem.Str("detail"), StringComparison.Ordinal);

        // A bad value is still a 400 naming it.
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/migrations/history?limit=0", auth: false), "limit", "0");
    }
}
