using System.Net;
using System.Text.Json;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Filtered, paged <c>GET /migrations</c>, on a node of its own: it counts every migration the node ran.</summary>
public sealed class MigrationListApiTests : IAsyncLifetime
{
    private readonly ApiNode _node = new();

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Pages_neither_repeat_nor_skip_while_migrations_are_added_and_filters_narrow_the_list()
    {
        var first = await MigrateAsync("vm-1", "host-b");
        var second = await MigrateAsync("vm-1", "host-a");
        var other = await MigrateAsync("vm-2", "host-b");

        var page1 = await ListAsync("?workload=vm-1&limit=1");
        Assert.Equal([first.Id], Ids(page1));

        // A migration added while a client pages comes after everything that was there when it began.
        var third = await MigrateAsync("vm-1", "host-b");
        var page2 = await ListAsync($"?workload=vm-1&limit=1&cursor={page1.Str("nextCursor")}");
        Assert.Equal([second.Id], Ids(page2));
        var page3 = await ListAsync($"?workload=vm-1&limit=1&cursor={page2.Str("nextCursor")}");
        Assert.Equal([third.Id], Ids(page3));
        Assert.Equal(JsonValueKind.Null, page3.GetProperty("nextCursor").ValueKind);

        Assert.Equal([first.Id, second.Id, other.Id, third.Id], Ids(await ListAsync("")));
        Assert.Equal([first.Id, second.Id, third.Id], Ids(await ListAsync("?workload=vm-1&state=ended")));
        Assert.Equal([first.Id, second.Id, third.Id], Ids(await ListAsync("?workload=vm-1&state=completed,RolledBack")));
        Assert.Empty(Ids(await ListAsync("?workload=vm-1&state=active")));
        Assert.Empty(Ids(await ListAsync("?host=host-c")));
        Assert.Equal([first.Id, second.Id, other.Id, third.Id], Ids(await ListAsync("?host=host-b&limit=1000")));
        Assert.Equal([third.Id], Ids(await ListAsync($"?since={Uri.EscapeDataString(third.CreatedAt.ToString("O"))}")));
    }

    private async Task<ApiMigration> MigrateAsync(string workload, string target)
    {
        var started = await Json.ReadAsync(
            await _node.SendAsync(HttpMethod.Post, "/api/v1/migrations", $$"""{"workload": "{{workload}}", "target": "{{target}}"}""", idempotencyKey: Guid.NewGuid().ToString()),
            HttpStatusCode.Accepted);
        return await _node.WaitForCompletedAsync(started.Str("id"));
    }

    private async Task<JsonElement> ListAsync(string query) =>
        await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/migrations" + query, auth: false), HttpStatusCode.OK);

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(m => m.Str("id"))];
}
