using System.Net;

namespace Orchestrator.Node.Tests.Api;

[Collection(ApiNodeCollection.Name)]
public class SurfaceTests(ApiNode node)
{
    [Fact]
    public async Task Events_stream_delivers_a_migration_event_and_heartbeats()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        using var response = await node.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        var started = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-6", "target": "host-b"}""", idempotencyKey: "sse-vm-6"),
            HttpStatusCode.Accepted);
        var id = started.Str("id");

        var sawHost = false;
        var sawHeartbeat = false;
        string? eventName = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            Assert.NotNull(line);
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
                sawHost |= eventName == "host";
                sawHeartbeat |= sawHost && eventName == "heartbeat"; // one after the current state, not the opening one
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "migration"
                     && line.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal) && line.Contains("\"state\":\"Completed\"", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.True(sawHost, "the stream starts with the hosts");
        if (!sawHeartbeat)
        {
            // The migration may finish before the first heartbeat (200 ms); wait for one now.
            while (await reader.ReadLineAsync(cts.Token) is { } line && line != "event: heartbeat")
            {
            }
        }
    }

    [Fact]
    public async Task Metrics_have_the_documented_names()
    {
        // At least one migration has been seen by the feed once the migration tests ran; the names exist regardless.
        var text = await (await node.SendAsync(HttpMethod.Get, "/metrics", auth: false)).Content.ReadAsStringAsync();
        foreach (var name in new[]
                 {
                     "orchestrator_migrations{state=\"Completed\"}", "orchestrator_migration_downtime_seconds", "orchestrator_migration_duration_seconds",
                     "orchestrator_migration_transferred_bytes_total", "orchestrator_migrations_queued", "orchestrator_host_queued_migrations{host=\"host-a\"}",
                     "orchestrator_pf_migration_slots_in_use{host=\"host-b\",pf=\"0000:3b:00.0\"}", "orchestrator_pf_vf_slots_in_use",
                 })
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }

        // The journal's write latency, measured by the writers' watchdogs: the node's host journals write at start,
        // migrations at each checkpoint.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!System.Text.RegularExpressions.Regex.IsMatch(text, @"orchestrator_journal_write_seconds_count\{writer=""(host|migration|reconciler)""\} [1-9]") && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(200);
            text = await (await node.SendAsync(HttpMethod.Get, "/metrics", auth: false)).Content.ReadAsStringAsync();
        }

        Assert.Matches(@"orchestrator_journal_write_seconds_count\{writer=""(host|migration|reconciler)""\} [1-9]", text);
        Assert.Contains("# TYPE orchestrator_journal_write_timeouts_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE orchestrator_reconciler_cleaned_total counter", text, StringComparison.Ordinal);

        Assert.Contains("# TYPE orchestrator_admission_wait_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_ready_and_openapi_answer()
    {
        Assert.Equal("ok\n", await (await node.SendAsync(HttpMethod.Get, "/healthz", auth: false)).Content.ReadAsStringAsync());
        var ready = await node.SendAsync(HttpMethod.Get, "/readyz", auth: false);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        var live = await node.SendAsync(HttpMethod.Get, "/livez", auth: false);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("live\n", await live.Content.ReadAsStringAsync());
        var openapi = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/openapi/v1.json", auth: false), HttpStatusCode.OK);
        var paths = openapi.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/hosts", "/api/v1/hosts/{id}", "/api/v1/vfs", "/api/v1/placement", "/api/v1/migrations", "/api/v1/migrations/{id}", "/api/v1/migrations/{id}/switchover", "/api/v1/events", "/api/v1/hosts/{id}/reconcile" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"openapi lacks {path}");
        }
    }
}
