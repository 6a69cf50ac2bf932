using System.Net;
using System.Text;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Cli;

/// <summary>
/// The typed client retries (Microsoft.Extensions.Http.Resilience) only what is safe to repeat: reads, and a POST
/// that carries an Idempotency-Key, which the server answers with the first request's result.
/// </summary>
public class ApiClientRetryTests
{
    private const string Migration = """{"id":"m-1","workload":"vm-1","source":"host-a","target":"host-b","state":"Requested","epoch":0}""";

    [Fact]
    public async Task A_keyed_post_is_sent_again_with_the_same_key_after_a_503_and_no_answer()
    {
        var handler = new Scripted(
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            _ => throw new HttpRequestException("connection reset"),
            _ => Json(HttpStatusCode.Accepted, Migration));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler);

        var started = await api.StartMigrationAsync("vm-1", "host-b", "key-1");

        Assert.Equal("m-1", started.Value.Id);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("key-1", r.Key));
        Assert.All(handler.Requests, r => Assert.Contains("\"workload\":\"vm-1\"", r.Body, StringComparison.Ordinal)); // the body each time
    }

    [Fact]
    public async Task A_post_without_a_key_is_sent_once()
    {
        var handler = new Scripted(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler);

        var e = await Assert.ThrowsAsync<ApiException>(() => api.CreateVfAsync("host-a/0000:3b:00.0", "vfio", "eth-small", null, null));

        Assert.Equal(ApiErrorKind.Unreachable, e.Kind); // 503: the cluster is not ready
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_post_that_only_sets_a_state_is_retried_without_a_key_and_one_that_starts_a_job_is_not()
    {
        var handler = new Scripted(
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            _ => Json(HttpStatusCode.OK, """{"host":"host-a","cordoned":true}"""),
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler);

        Assert.True((await api.CordonAsync("host-a", true, "maintenance")).Value.GetProperty("cordoned").GetBoolean());
        Assert.Equal(2, handler.Requests.Count); // a cordon twice is one cordon

        await Assert.ThrowsAsync<ApiException>(() => api.EvacuateAsync("host-a", dryRun: false));
        Assert.Equal(3, handler.Requests.Count); // an evacuation without a key twice would be two jobs: sent once
    }

    [Fact]
    public async Task A_vf_create_with_a_key_is_retried_with_it()
    {
        var handler = new Scripted(
            _ => throw new HttpRequestException("connection reset"),
            _ => Json(HttpStatusCode.OK, """{"id":"host-a/0000:3b:00.0/vf3","pf":"host-a/0000:3b:00.0","kind":"vfio","profile":"eth-small","exists":true}"""));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler);

        var created = await api.CreateVfAsync("host-a/0000:3b:00.0", "vfio", "eth-small", null, null, "vf-key");

        Assert.Equal("host-a/0000:3b:00.0/vf3", created.Value.Id);
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("vf-key", r.Key));
    }

    [Fact]
    public async Task A_keyed_post_that_never_gets_through_names_its_key()
    {
        var handler = new Scripted(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler, retries: 2);

        var e = await Assert.ThrowsAsync<ApiException>(() => api.StartMigrationAsync("vm-1", null, "key-9"));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Contains("repeat with Idempotency-Key key-9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_is_retried_and_a_refusal_is_not()
    {
        var handler = new Scripted(
            _ => new HttpResponseMessage(HttpStatusCode.GatewayTimeout),
            _ => Json(HttpStatusCode.OK, Migration),
            _ => Json(HttpStatusCode.NotFound, """{"title":"not found","detail":"migration 'm-2' is not known"}"""));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler);

        Assert.Equal("m-1", (await api.GetMigrationAsync("m-1")).Value.Id);
        var e = await Assert.ThrowsAsync<ApiException>(() => api.GetMigrationAsync("m-2"));

        Assert.Equal(ApiErrorKind.NotFound, e.Kind);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task A_watch_reconnects_with_the_last_event_id_and_skips_heartbeats()
    {
        var handler = new Scripted(
            _ => Sse("event: heartbeat\ndata: \n\nevent: host\ndata: {}\n\nevent: migration\nid: 5\ndata: " + Migration + "\n\nevent: migration\nid: 6\ndata: " + Migration + "\n\n"),
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            _ => Sse("event: migration\nid: 9\ndata: " + Migration + "\n\n"));
        using var api = new OrchestratorApiClient(new Uri("http://node"), "token-0123456789abcdef", handler, retries: 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var seen = new List<ApiEvent>();
        await foreach (var e in api.WatchAsync(new ApiEventFilter(Host: "host-a", Types: ["migration"]), retryDelay: TimeSpan.FromMilliseconds(10), ct: cts.Token))
        {
            seen.Add(e);
            if (seen.Count == 4)
            {
                break;
            }
        }

        Assert.Equal(["host", "migration", "migration", "migration"], seen.Select(e => e.Event));
        Assert.Equal([null, "5", "6", "9"], seen.Select(e => e.Id));
        Assert.Equal("m-1", seen[1].Migration()!.Id);
        Assert.Equal([null, "6", "6"], handler.LastEventIds);
        Assert.All(handler.Requests, r => Assert.Equal("/api/v1/events", r.Path));
    }

    private static HttpResponseMessage Sse(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/event-stream") };

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed record Sent(HttpMethod Method, string Path, string? Key, string Body);

    /// <summary>Answers each request with the next step; the last step answers every request after it.</summary>
    private sealed class Scripted(params Func<HttpRequestMessage, HttpResponseMessage>[] steps) : HttpMessageHandler
    {
        public List<Sent> Requests { get; } = [];

        public List<string?> LastEventIds { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var last) ? last.Single() : null);
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new Sent(request.Method, request.RequestUri!.AbsolutePath, request.Headers.TryGetValues("Idempotency-Key", out var k) ? k.Single() : null, body));
            return steps[Math.Min(Requests.Count, steps.Length) - 1](request);
        }
    }
}
