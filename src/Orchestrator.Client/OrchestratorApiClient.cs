using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Client;

/// <summary>
/// Typed client of the node's HTTP API <c>/api/v1</c> (issue 6 shapes). Every failure is an <see cref="ApiException"/>
/// whose kind maps to an exit code: 400 → bad input, 404 → not found, 409 → conflict, no connection / 401 / 403 →
/// unreachable, anything else → failed. The server's problem+json <c>detail</c> (or <c>title</c>) is the message.
/// </summary>
public sealed class OrchestratorApiClient : IDisposable
{
    /// <summary>The API address when neither <c>--api</c> nor <c>ORCHESTRATOR_API</c> is given.</summary>
    public const string DefaultApi = "http://127.0.0.1:7401";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>How many times a request that is safe to repeat is sent again after a transient failure.</summary>
    public const int DefaultRetries = 3;

    private readonly HttpClient _http;

    /// <summary>
    /// A client of the node at <paramref name="baseAddress"/>. Requests that are safe to repeat (reads, PATCH, DELETE,
    /// and a POST with an <c>Idempotency-Key</c>) are sent again up to <paramref name="retries"/> times, 0.5 s apart and
    /// doubling, with jitter, when no answer came or the answer was 408, 429 or 5xx
    /// (<see cref="ResilienceHandler"/> from Microsoft.Extensions.Http.Resilience); other POSTs are sent once. Over
    /// HTTPS with a cluster's own CA, <paramref name="caFile"/> (PEM) is the CA the node's certificate must chain to.
    /// </summary>
    public OrchestratorApiClient(Uri baseAddress, string? token, HttpMessageHandler? handler = null, TimeSpan? timeout = null, int retries = DefaultRetries, string? caFile = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        BaseAddress = baseAddress;
        Retries = retries;
        var resilient = new ResilienceHandler(RetryPipeline(retries)) { InnerHandler = handler ?? (caFile is null ? new SocketsHttpHandler() : CaTrust.Handler(caFile)) };
        _http = new HttpClient(resilient, disposeHandler: handler is null); // a handler given stays its owner's
        _http.BaseAddress = new Uri(baseAddress.ToString().TrimEnd('/') + "/api/v1/");
        _http.Timeout = Timeout.InfiniteTimeSpan; // per call: RequestTimeout, and none for the event stream
        RequestTimeout = timeout ?? TimeSpan.FromSeconds(30);
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>How many times a request safe to repeat is retried.</summary>
    public int Retries { get; }

    private static ResiliencePipeline<HttpResponseMessage> RetryPipeline(int retries)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (retries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                ShouldHandle = args => ValueTask.FromResult(
                    SafeToRepeat(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
            });
        }

        return builder.Build();
    }

    // A repeat cannot do anything twice: it reads, sets a value, ends something, or carries a key that answers the first.
    private static bool SafeToRepeat(HttpRequestMessage? request) =>
        request is not null
        && (request.Method != HttpMethod.Post || request.Headers.Contains(IdempotencyKeyHeader)
            || (request.Options.TryGetValue(Repeatable, out var repeatable) && repeatable));

    /// <summary>Marks a POST that is safe to repeat without a key: it only reads or sets a state (cordon, placement, a dry run).</summary>
    private static readonly HttpRequestOptionsKey<bool> Repeatable = new("orchestrator.repeatable");

    /// <summary>The header that makes a POST safe to repeat.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The node's address (without <c>/api/v1</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>How long one request may take.</summary>
    public TimeSpan RequestTimeout { get; }

    public Task<ApiResult<IReadOnlyList<ApiHost>>> GetHostsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ApiHost>>(HttpMethod.Get, "hosts", null, null, ct, ListOf<ApiHost>);

    public Task<ApiResult<ApiHost>> GetHostAsync(string host, CancellationToken ct = default) =>
        SendAsync<ApiHost>(HttpMethod.Get, $"hosts/{Uri.EscapeDataString(host)}", null, null, ct);

    /// <summary><c>POST /hosts/{id}/cordon</c> or <c>/uncordon</c>.</summary>
    public Task<ApiResult<JsonElement>> CordonAsync(string host, bool cordon, CancellationToken ct = default) =>
        CordonAsync(host, cordon, null, ct);

    /// <summary><c>POST /hosts/{id}/cordon</c> with the reason operators see, or <c>/uncordon</c>.</summary>
    public Task<ApiResult<JsonElement>> CordonAsync(string host, bool cordon, string? reason, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"hosts/{Uri.EscapeDataString(host)}/{(cordon ? "cordon" : "uncordon")}", reason is null ? new { } : new { reason }, null, ct, repeatable: true);

    /// <summary><c>POST /hosts/{id}/evacuate</c>: an evacuation job (sent once: without a key a repeat would start a second job), or with <paramref name="dryRun"/> its plan.</summary>
    public Task<ApiResult<JsonElement>> EvacuateAsync(string host, bool dryRun, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"hosts/{Uri.EscapeDataString(host)}/evacuate{(dryRun ? "?dryRun=true" : "")}", new { }, null, ct, repeatable: dryRun);

    /// <summary><c>POST /hosts/{id}/evacuate</c> with an Idempotency-Key: a retry (on any node) answers the same job.</summary>
    public Task<ApiResult<JsonElement>> EvacuateAsync(string host, string idempotencyKey, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"hosts/{Uri.EscapeDataString(host)}/evacuate", new { }, idempotencyKey, ct);

    public Task<ApiResult<JsonElement>> GetEvacuationAsync(string id, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Get, $"evacuations/{Uri.EscapeDataString(id)}", null, null, ct);

    /// <summary>
    /// <c>POST /hosts/{id}/reconcile</c>: the host's reconciler runs now (with <paramref name="dryRun"/>: compares only,
    /// and says what a run would clean); with <paramref name="run"/> false, <c>GET</c>: its last run.
    /// </summary>
    public Task<ApiResult<ApiReconcile>> ReconcileAsync(string host, bool run, bool dryRun, CancellationToken ct = default) =>
        run || dryRun
            ? SendAsync<ApiReconcile>(HttpMethod.Post, $"hosts/{Uri.EscapeDataString(host)}/reconcile{(dryRun ? "?dryRun=true" : "")}", new { }, null, ct, repeatable: true)
            : SendAsync<ApiReconcile>(HttpMethod.Get, $"hosts/{Uri.EscapeDataString(host)}/reconcile", null, null, ct);

    /// <summary><c>POST /placement</c>: where a migration of <paramref name="workload"/> would go, and why each other PF does not fit. Reserves nothing.</summary>
    public Task<ApiResult<ApiPlacement>> QueryPlacementAsync(string workload, string? target, CancellationToken ct = default) =>
        SendAsync<ApiPlacement>(HttpMethod.Post, "placement", new { workload, target }, null, ct, repeatable: true);

    /// <summary>
    /// <c>POST /migrations</c> with an <c>Idempotency-Key</c>: the same key and body answer the same migration, so a
    /// retry after a lost answer does not start a second one. When the 202 has no body, follows <c>Location</c>.
    /// </summary>
    public async Task<ApiResult<ApiMigration>> StartMigrationAsync(string workload, string? target, string idempotencyKey, CancellationToken ct = default) =>
        await StartMigrationAsync(workload, target, null, idempotencyKey, ct).ConfigureAwait(false);

    /// <summary>
    /// <c>POST /migrations</c> with a <c>policy</c> object (the API's field names, for example <c>downtimeLimitMs</c>),
    /// laid over the node's defaults; null sends none.
    /// </summary>
    public async Task<ApiResult<ApiMigration>> StartMigrationAsync(string workload, string? target, IReadOnlyDictionary<string, object?>? policy, string idempotencyKey, CancellationToken ct = default)
    {
        object request = policy is null ? new { workload, target } : new { workload, target, policy };
        using var response = await SendRawAsync(HttpMethod.Post, "migrations", request, idempotencyKey, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(body) && response.Headers.Location is { } location)
        {
            var id = location.OriginalString.TrimEnd('/').Split('/')[^1];
            return await GetMigrationAsync(Uri.UnescapeDataString(id), ct).ConfigureAwait(false);
        }

        return new ApiResult<ApiMigration>(Parse<ApiMigration>(body, "migrations"), body);
    }

    /// <summary>
    /// <c>GET /migrations</c> with <paramref name="filter"/>, following <c>nextCursor</c> until the list ends or the
    /// filter's limit is reached. <see cref="ApiResult{T}.Json"/> is the items as one JSON array, as the server sent them.
    /// </summary>
    public Task<ApiResult<IReadOnlyList<ApiMigration>>> GetMigrationsAsync(MigrationFilter? filter = null, CancellationToken ct = default)
    {
        filter ??= new MigrationFilter();
        return GetPagesAsync<ApiMigration>("migrations", filter.Filters, filter.Limit, ct);
    }

    /// <summary>
    /// <c>GET /migrations/history</c>: ended migrations however long ago they ended, read from the journal, in the order
    /// they ended; follows <c>nextCursor</c> until the history ends or <paramref name="limit"/> came back (a node whose
    /// journal is in memory answers 501).
    /// </summary>
    public Task<ApiResult<IReadOnlyList<ApiMigration>>> GetMigrationHistoryAsync(string? workload = null, string? host = null, int limit = int.MaxValue, CancellationToken ct = default) =>
        GetPagesAsync<ApiMigration>("migrations/history", [("workload", workload), ("host", host)], limit, ct);

    /// <summary><c>GET /evacuations</c> with the filters, every page; the items as one JSON array.</summary>
    public Task<ApiResult<IReadOnlyList<JsonElement>>> GetEvacuationsAsync(string? host, string? state, CancellationToken ct = default) =>
        GetPagesAsync<JsonElement>("evacuations", [("host", host), ("state", state)], int.MaxValue, ct);

    /// <summary><c>DELETE /evacuations/{id}</c>: cancel the job (idempotent; 409 once it ended).</summary>
    public Task<ApiResult<JsonElement>> CancelEvacuationAsync(string id, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Delete, $"evacuations/{Uri.EscapeDataString(id)}", null, null, ct);

    /// <summary>Reads a paged list, following <c>nextCursor</c> until it ends or <paramref name="limit"/> items came back.</summary>
    private async Task<ApiResult<IReadOnlyList<T>>> GetPagesAsync<T>(string path, IReadOnlyList<(string Name, string? Value)> filters, int limit, CancellationToken ct)
    {
        var items = new List<T>();
        var raw = new List<string>();
        string? cursor = null;
        do
        {
            var query = string.Join('&', filters
                .Append(("limit", Math.Clamp(limit - items.Count, 1, MigrationFilter.PageSize).ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Append(("cursor", cursor))
                .Where(f => f.Item2 is not null)
                .Select(f => f.Item1 + "=" + Uri.EscapeDataString(f.Item2!)));
            var page = await SendAsync<PageAnswer<T>>(HttpMethod.Get, path + "?" + query, null, null, ct, PageOf<T>).ConfigureAwait(false);
            items.AddRange(page.Value.Items);
            raw.AddRange(page.Value.Raw);
            cursor = page.Value.NextCursor;
        }
        while (cursor is not null && items.Count < limit);

        return new ApiResult<IReadOnlyList<T>>(items, "[" + string.Join(',', raw) + "]");
    }

    public Task<ApiResult<ApiMigration>> GetMigrationAsync(string id, CancellationToken ct = default) =>
        SendAsync<ApiMigration>(HttpMethod.Get, $"migrations/{Uri.EscapeDataString(id)}", null, null, ct);

    /// <summary><c>PATCH /migrations/{id}/policy</c>: a running migration's downtime limit and bandwidth cap.</summary>
    public Task<ApiResult<ApiMigration>> ChangePolicyAsync(string id, IReadOnlyDictionary<string, object?> change, CancellationToken ct = default) =>
        SendAsync<ApiMigration>(HttpMethod.Patch, $"migrations/{Uri.EscapeDataString(id)}/policy", change, null, ct);

    /// <summary><c>DELETE /migrations/{id}</c>: abort (409 once Committed).</summary>
    public Task<ApiResult<ApiMigration?>> AbortAsync(string id, CancellationToken ct = default) =>
        SendAsync<ApiMigration?>(HttpMethod.Delete, $"migrations/{Uri.EscapeDataString(id)}", null, null, ct, OptionalMigration);

    /// <summary>
    /// <c>POST /vfs</c>: a VF on <paramref name="pf"/> at <paramref name="index"/>, or at the lowest index the placement
    /// authority finds free; 409 at an index a migration holds or reserved.
    /// </summary>
    public Task<ApiResult<ApiVfChange>> CreateVfAsync(string pf, string kind, string profile, string? workload, int? index, CancellationToken ct = default) =>
        SendAsync<ApiVfChange>(HttpMethod.Post, "vfs", new { pf, kind, profile, workload, index }, null, ct);

    /// <summary>
    /// <c>POST /vfs</c> with an Idempotency-Key: a retry (lost answer, any node) answers the VF the first request created,
    /// never a second VF; so it is retried.
    /// </summary>
    public Task<ApiResult<ApiVfChange>> CreateVfAsync(string pf, string kind, string profile, string? workload, int? index, string idempotencyKey, CancellationToken ct = default) =>
        SendAsync<ApiVfChange>(HttpMethod.Post, "vfs", new { pf, kind, profile, workload, index }, idempotencyKey, ct);

    /// <summary><c>GET /vfs/{id}</c>; with <paramref name="history"/>, as the VF's own actor holds it, with its last transitions.</summary>
    public Task<ApiResult<ApiVf>> GetVfAsync(string id, bool history = false, CancellationToken ct = default) =>
        SendAsync<ApiVf>(HttpMethod.Get, $"{VfPath(id)}{(history ? "?history=true" : "")}", null, null, ct);

    /// <summary>
    /// <c>DELETE /vfs/{id}</c> (the id keeps its slashes): 409 while a migration holds the VF, and for a VF that serves a
    /// workload unless <paramref name="force"/>.
    /// </summary>
    public Task<ApiResult<ApiVfChange>> DestroyVfAsync(string id, bool force, CancellationToken ct = default) =>
        SendAsync<ApiVfChange>(HttpMethod.Delete, $"{VfPath(id)}{(force ? "?force=true" : "")}", null, null, ct);

    /// <summary>A VF's path: its id keeps its slashes, each part escaped.</summary>
    private static string VfPath(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return "vfs/" + string.Join('/', id.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>
    /// <c>POST /chaos/device-faults</c>: a fault for a simulated PF of the node that runs it (served only by a node
    /// started with the chaos harness's verb, <c>orchestrator fault-node</c>; chaos runs and tests).
    /// </summary>
    public Task<ApiResult<JsonElement>> InjectDeviceFaultAsync(DeviceFault fault, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, "chaos/device-faults", fault, null, ct);

    /// <summary><c>POST /migrations/{id}/switchover</c>; <paramref name="force"/> switches over before convergence.</summary>
    public Task<ApiResult<ApiMigration?>> SwitchoverAsync(string id, bool force, CancellationToken ct = default) =>
        SendAsync<ApiMigration?>(HttpMethod.Post, $"migrations/{Uri.EscapeDataString(id)}/switchover{(force ? "?force=true" : "")}", new { force }, null, ct, OptionalMigration, repeatable: true);

    /// <summary><c>GET /healthz</c> answered 2xx.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken ct = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await _http.GetAsync(new Uri(BaseAddress, "/healthz"), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// <c>GET /readyz</c> (member Up, runtime started, journal and host actors, placement authority and shard coordinator answering): null when the node is ready,
    /// else why not, as the node said it or that it did not answer (within 3 s).
    /// </summary>
    public async Task<string?> NotReadyAsync(CancellationToken ct = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await _http.GetAsync(new Uri(BaseAddress, "/readyz"), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return $"no answer: {e.Message}";
        }
    }

    /// <summary>The Server-Sent Events of <c>GET /events</c>, until the server closes the stream or <paramref name="ct"/> fires.</summary>
    public IAsyncEnumerable<ApiEvent> EventsAsync(CancellationToken ct = default) => EventsAsync(null, null, ct);

    /// <summary>
    /// The Server-Sent Events of <c>GET /events</c> narrowed by <paramref name="filter"/>, until the server closes the
    /// stream or <paramref name="ct"/> fires. With <paramref name="lastEventId"/> (the <see cref="ApiEvent.Id"/> of the
    /// last migration event received) the stream resumes: each migration that changed since comes once, as it is now,
    /// then every change. Heartbeats are not returned.
    /// </summary>
    public async IAsyncEnumerable<ApiEvent> EventsAsync(ApiEventFilter? filter, string? lastEventId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "events" + filter?.ToQuery());
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(lastEventId))
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }

        using (response)
        {
            await EnsureSuccessAsync(response, "events", ct).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var parser = SseParser.Create(stream);
                await foreach (var item in parser.EnumerateAsync(ct).ConfigureAwait(false))
                {
                    if (item.EventType != "heartbeat")
                    {
                        yield return new ApiEvent(item.EventType, item.Data, item.EventId);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="EventsAsync(ApiEventFilter?, string?, CancellationToken)"/> that reconnects when the stream ends or the
    /// node is unreachable (after <paramref name="retryDelay"/>, 1 s by default), with <c>Last-Event-ID</c>, so that
    /// across reconnects and node restarts no migration change is lost and none repeated. Until <paramref name="ct"/> fires.
    /// </summary>
    public async IAsyncEnumerable<ApiEvent> WatchAsync(ApiEventFilter? filter, string? lastEventId = null, TimeSpan? retryDelay = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var last = lastEventId;
        while (!ct.IsCancellationRequested)
        {
            await using var events = EventsAsync(filter, last, ct).GetAsyncEnumerator(ct);
            while (await NextAsync(events).ConfigureAwait(false) is { } e)
            {
                last = e.Id ?? last;
                yield return e;
            }

            try
            {
                await Task.Delay(retryDelay ?? TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }

        // The next event, or null when the stream ended or broke (the watch reconnects); bad input is thrown.
        async Task<ApiEvent?> NextAsync(IAsyncEnumerator<ApiEvent> events)
        {
            try
            {
                return await events.MoveNextAsync().ConfigureAwait(false) ? events.Current : null;
            }
            catch (ApiException e) when (e.Kind is ApiErrorKind.Unreachable or ApiErrorKind.Failed)
            {
                return null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                return null; // a broken stream, or ct fired: the loop ends or reconnects
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct, Func<string, string, T>? parse = null, bool repeatable = false)
    {
        using var response = await SendRawAsync(method, path, body, idempotencyKey, ct, repeatable).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return new ApiResult<T>(parse is null ? Parse<T>(text, path) : parse(text, path), text);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct, bool repeatable = false)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Options.Set(Repeatable, repeatable);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw idempotencyKey is null ? Unreachable(e) : WithKey(Unreachable(e), idempotencyKey);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            var unanswered = new ApiException(ApiErrorKind.Unreachable, null, $"{method} {_http.BaseAddress}{path}: no answer within {RequestTimeout.TotalSeconds:0} s", e);
            throw idempotencyKey is null ? unanswered : WithKey(unanswered, idempotencyKey);
        }

        try
        {
            await EnsureSuccessAsync(response, $"{method} {path}", ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (idempotencyKey is not null && e.Status is >= 500)
        {
            response.Dispose();
            throw WithKey(e, idempotencyKey);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    // A keyed request that failed after its retries may still have been accepted: the same key gets the same answer.
    private ApiException WithKey(ApiException e, string key) =>
        new(e.Kind, e.Status, $"{e.Message} (sent {Retries + 1} times; it may have been accepted: repeat with Idempotency-Key {key} (CLI: --idempotency-key {key}) to get the same answer, never a second one)", e);

    private ApiException Unreachable(HttpRequestException e)
    {
        if (e.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            return new ApiException(ApiErrorKind.Unreachable, null,
                $"API {BaseAddress}: TLS failed ({tls.Message}); its certificate must chain to the CA given with --ca / ORCHESTRATOR_CA", e);
        }

        var why = e.InnerException is SocketException s ? s.SocketErrorCode.ToString() : e.Message;
        return new ApiException(ApiErrorKind.Unreachable, null, $"API {BaseAddress} unreachable ({why}); start a node or give --api / ORCHESTRATOR_API", e);
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var detail = ProblemDetail(text) ?? response.ReasonPhrase ?? response.StatusCode.ToString();
        var kind = response.StatusCode switch
        {
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => ApiErrorKind.BadInput,
            HttpStatusCode.NotFound => ApiErrorKind.NotFound,
            HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed => ApiErrorKind.Conflict,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => ApiErrorKind.Unreachable,
            _ => ApiErrorKind.Failed,
        };
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            detail += " (give --token, ORCHESTRATOR_TOKEN or .orchestrator/demo-token)";
        }

        throw new ApiException(kind, status, $"{what}: {status} {detail}");
    }

    private static string? ProblemDetail(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return text.Trim();
            }

            foreach (var name in new[] { "detail", "title", "error", "message" })
            {
                if (doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString();
                }
            }

            return text.Trim();
        }
        catch (JsonException)
        {
            return text.Trim();
        }
    }

    private static T Parse<T>(string text, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiErrorKind.Failed, null, $"{what}: answer is not the documented shape ({e.Message})", e);
        }
    }

    /// <summary>A list answer: a bare array, or an object with the array under <c>items</c> or the first array property.</summary>
    private static List<T> ListOf<T>(string text, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                root = root.TryGetProperty("items", out var items)
                    ? items
                    : root.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.Array);
            }

            return root.ValueKind == JsonValueKind.Array ? root.Deserialize<List<T>>(Json) ?? [] : throw new JsonException($"no array in the answer of {what}");
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiErrorKind.Failed, null, $"{what}: answer is not the documented shape ({e.Message})", e);
        }
    }

    private sealed record PageAnswer<T>(List<T> Items, List<string> Raw, string? NextCursor);

    /// <summary>A page <c>{items, nextCursor}</c>; a bare array (a server before paging) is the only page.</summary>
    private static PageAnswer<T> PageOf<T>(string text, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? next = null;
            if (root.ValueKind == JsonValueKind.Object)
            {
                next = root.TryGetProperty("nextCursor", out var cursor) && cursor.ValueKind == JsonValueKind.String ? cursor.GetString() : null;
                root = root.TryGetProperty("items", out var items) ? items : throw new JsonException($"no items in the answer of {what}");
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException($"no array in the answer of {what}");
            }

            return new PageAnswer<T>(root.Deserialize<List<T>>(Json) ?? [], [.. root.EnumerateArray().Select(e => e.GetRawText())], next);
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiErrorKind.Failed, null, $"{what}: answer is not the documented shape ({e.Message})", e);
        }
    }

    private static ApiMigration? OptionalMigration(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("state", out _)
                ? Parse<ApiMigration>(text, what)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
