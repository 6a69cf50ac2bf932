using System.Net;
using System.Text.Json;

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
        Assert.Equal(6, items.Count);
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

        JsonElement view = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            view = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Get, $"/api/v1/evacuations/{id}", auth: false), HttpStatusCode.OK);
            if (view.Str("state") == "Completed")
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(view.Str("state") == "Completed", view.ToString());
        Assert.Equal(6, view.GetProperty("completed").GetInt32());
        Assert.All(view.GetProperty("migrations").EnumerateArray(), m => Assert.Equal("Completed", m.Str("state")));
        await _node.WaitForHostAsync("host-a", h => h.Cordoned && h.Pfs.All(p => p.Vfs.Count == 0));

        Assert.Equal(HttpStatusCode.NotFound, (await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations/e-nope", auth: false)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _node.SendAsync(HttpMethod.Get, "/api/v1/evacuations/NOPE", auth: false)).StatusCode);
    }
}
