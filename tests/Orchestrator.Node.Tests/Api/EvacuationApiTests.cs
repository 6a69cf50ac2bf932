using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Chaos.Harness;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Evacuation over HTTP, on a node of its own (it cordons and drains host-a, which the shared node's tests use).</summary>
public sealed class EvacuationApiTests : IAsyncLifetime
{
    private readonly ApiNode _node = new();

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Dry_run_shows_the_plan_then_the_job_drains_the_host()
    {
        var plan = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate?dryRun=true"), HttpStatusCode.OK);
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        var items = plan.GetProperty("plan").EnumerateArray().ToList();
        Assert.True(items.Count == 6, $"the plan should hold host-a's six workloads: {plan}"); // says which one is missing
        Assert.All(items, i => Assert.Equal("host-b", i.Str("target")));

        Assert.Equal(HttpStatusCode.Unauthorized, (await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate", auth: false)).StatusCode);
        var bad = await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate?dryRun=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("maybe", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var response = await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate", idempotencyKey: "drain-a");
        var job = await Json.ReadAsync(response, HttpStatusCode.Accepted);
        var id = job.Str("id");
        Assert.Equal($"/api/v1/evacuations/{id}", response.Headers.Location?.OriginalString);

        // The same key answers the same job.
        var again = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate", idempotencyKey: "drain-a"), HttpStatusCode.Accepted);
        Assert.Equal(id, again.Str("id"));

        var view = await WaitForJobAsync(id, "Completed");
        Assert.True(view.GetProperty("completed").GetInt32() == 6, $"all six should have moved: {view}");
        Assert.All(view.GetProperty("migrations").EnumerateArray(), m => Assert.Equal("Completed", m.Str("state")));
        await _node.WaitForHostAsync("host-a", h => h.Cordoned && h.Pfs.All(p => p.Vfs.Count == 0));

        Assert.Equal(HttpStatusCode.NotFound, (await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations/e-nope", auth: false)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations/NOPE", auth: false)).StatusCode);
    }

    [Fact]
    public async Task A_cancelled_job_rolls_back_what_is_not_committed_ends_Cancelled_and_is_listed()
    {
        // Each of the six target loads hangs (one fault per load: a hang takes one command, and the PF runs the next
        // queued load once the rollback cancels it), so no migration of the job can reach Committed before the cancel.
        var faults = _node.App.Services.GetRequiredService<ChaosFaults>();
        for (var nth = 1; nth <= 6; nth++)
        {
            Assert.Null(faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Hang, Command = "Load", Nth = nth }));
        }

        string id;
        JsonElement view;
        try
        {
            var job = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-a/evacuate", idempotencyKey: "cancel-a"), HttpStatusCode.Accepted);
            id = job.Str("id");
            Assert.Equal([id], Ids(await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations?host=host-a&state=active", auth: false), HttpStatusCode.OK)));

            // Past the per-host limit (2 leave host-a at once) the job's migrations wait for admission: status Queued,
            // each with its place, and listed by state=queued.
            var queued = await WaitForQueuedAsync();
            Assert.All(queued, m =>
            {
                Assert.Equal("Queued", m.Str("status"));
                Assert.Equal("Placed", m.Str("state"));
                Assert.InRange(m.GetProperty("queuePosition").GetInt32(), 1, 6);
            });

            Assert.Equal(HttpStatusCode.Unauthorized, (await _node.SendAsync(HttpMethod.Delete, $"/api/v1/evacuations/{id}", auth: false)).StatusCode);
            var cancelling = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Delete, $"/api/v1/evacuations/{id}"), HttpStatusCode.Accepted);
            Assert.Equal("Cancelling", cancelling.Str("state"));
            Assert.Equal("cancelled through the API", cancelling.Str("cancelReason"));
            var again = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Delete, $"/api/v1/evacuations/{id}"), HttpStatusCode.Accepted);
            Assert.Equal(id, again.Str("id"));
            view = await WaitForJobAsync(id, "Cancelled");
        }
        finally
        {
            faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Clear });
        }

        Assert.True(view.GetProperty("terminal").GetBoolean());
        Assert.True(view.GetProperty("completed").GetInt32() == 0 && view.GetProperty("rolledBack").GetInt32() == 6, view.ToString());
        foreach (var m in view.GetProperty("migrations").EnumerateArray())
        {
            var migration = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, $"/api/v1/migrations/{m.Str("migration")}", auth: false), HttpStatusCode.OK);
            Assert.Equal("RolledBack", migration.Str("state"));
            Assert.Contains($"evacuation {id} cancelled", migration.Str("reason"), StringComparison.Ordinal);
        }

        Assert.Equal([id], Ids(await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations?state=ended", auth: false), HttpStatusCode.OK)));
        Assert.Empty(Ids(await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations?state=Running", auth: false), HttpStatusCode.OK)));
        await Json.ReadAsync(await _node.SendAsync(HttpMethod.Delete, $"/api/v1/evacuations/{id}"), HttpStatusCode.Accepted); // still idempotent

        // A job that ended without a cancel has nothing to cancel.
        var empty = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/evacuate", idempotencyKey: "empty-c"), HttpStatusCode.Accepted);
        await WaitForJobAsync(empty.Str("id"), "Completed");
        var refused = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Delete, $"/api/v1/evacuations/{empty.Str("id")}"), HttpStatusCode.Conflict);
        Assert.Contains("nothing to cancel", refused.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(2, Ids(await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations", auth: false), HttpStatusCode.OK)).Count);
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations?state=Paused", auth: false), "state", "Paused");
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Delete, "/api/v1/evacuations/NOPE"), "id", "NOPE");
    }

    private async Task<IReadOnlyList<JsonElement>> WaitForQueuedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var page = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, "/api/v1/migrations?state=queued&host=host-a", auth: false), HttpStatusCode.OK);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            if (items.Count > 0 || DateTime.UtcNow > deadline)
            {
                Assert.NotEmpty(items);
                return items;
            }

            await Task.Delay(50);
        }
    }

    private async Task<JsonElement> WaitForJobAsync(string id, string state)
    {
        JsonElement view = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            view = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, $"/api/v1/evacuations/{id}", auth: false), HttpStatusCode.OK);
            if (view.Str("state") == state)
            {
                return view;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"evacuation {id} is not {state} after 60 s: {view}");
        return view;
    }

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(e => e.Str("id"))];
}
