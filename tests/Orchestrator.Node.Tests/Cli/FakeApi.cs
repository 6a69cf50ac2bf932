using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Cli;

/// <summary>
/// A stand-in for a node's API on 127.0.0.1 (OS-chosen port) answering canned JSON in issue 6's shapes, so the client
/// and the verbs are tested without a cluster. Migrations advance one state per GET; the event stream names each change.
/// </summary>
internal sealed class FakeApi : IAsyncDisposable
{
    public const string Token = "test-token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeMigration> _migrations = new();
    private readonly ConcurrentDictionary<string, string> _keys = new();

    private FakeApi(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every request: method, path and query, Authorization and Idempotency-Key headers, body.</summary>
    public ConcurrentQueue<(string Method, string Path, string? Auth, string? Key, string Body)> Requests { get; } = new();

    /// <summary>What <c>GET /migrations/{id}</c> walks through; the last one is where it stays.</summary>
    public string[] Script { get; set; } = ["Requested", "Placed", "PreCopying", "PreCopying", "Completed"];

    public string? RollbackReason { get; set; }

    /// <summary>The most <c>GET /migrations</c> answers in one page.</summary>
    public int PageSize { get; set; } = 2;

    /// <summary>How many of the next POSTs that start something (migration, evacuation) answer 503 first.</summary>
    public int Unavailable { get; set; }

    public static async Task<FakeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeApi(app);
        fake.Map();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Address = new Uri(address);
        return fake;
    }

    private static string Reconcile(string host, bool dryRun, bool skipped)
    {
        const string leftover = "{\"vf\":\"host-b/0000:3b:00.0/vf3\",\"pf\":\"host-b/0000:3b:00.0\",\"migration\":\"m-old\",\"action\":\"destroy-target\",\"reason\":\"target of rolled-back m-old\"}";
        return $$"""{"host":"{{host}}","trigger":"{{(dryRun ? "api" : "api")}}","checkedVfs":4,"cleaned":[{{(dryRun || skipped ? "" : leftover)}}],"left":[],"at":"2026-12-03T08:00:00Z","skipped":{{(skipped ? "\"the migration index was not readable from a majority\"" : "null")}},"dryRun":{{(dryRun ? "true" : "false")}},"planned":{{(dryRun ? "[" + leftover + "]" : "null")}}}""";
    }

    private bool TakeUnavailable()
    {
        lock (Requests)
        {
            if (Unavailable <= 0)
            {
                return false;
            }

            Unavailable--;
            return true;
        }
    }

    public void AddMigration(string id, string workload, params string[] script) => _migrations[id] = new FakeMigration(id, workload, "host-a", "host-b", script);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A migration as a node answers it: the client's own record, which the server returns too.</summary>
    public static string Migration(string id, string workload, string source, string? target, string state, int rounds, string? reason = null)
    {
        var at = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var ended = state is ApiMigration.Completed or ApiMigration.RolledBack or ApiMigration.Failed;
        return JsonSerializer.Serialize(
            new ApiMigration(
                id,
                workload,
                source,
                target,
                state,
                Epoch: 1,
                CreatedAt: at,
                UpdatedAt: at.AddSeconds(1),
                new ApiProgress(rounds * 1048576L, state == ApiMigration.Completed ? 0 : 524288L, rounds, 8388608, 3.5),
                DowntimeMs: state == ApiMigration.Completed ? 4.25 : null,
                reason,
                [new ApiCheckpoint("Requested", at)],
                Rounds: [],
                Vfs: [],
                Step: ended ? "None" : "PreCopyRound",
                QueuePosition: null,
                LastError: null,
                IsTerminal: ended,
                Code: state == ApiMigration.RolledBack ? "Aborted" : null,
                Policy: new ApiPolicy(300, null, 30, 60, 30, "abort"),
                Status: ended ? state : ApiMigration.Running),
            Web);
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static IResult Problem(int status, string detail) =>
        Results.Text(JsonSerializer.Serialize(new { type = "about:blank", title = "error", status, detail }), "application/problem+json", Encoding.UTF8, status);

    private bool Authorized(HttpContext http) => http.Request.Headers.Authorization.ToString() == $"Bearer {Token}";

    private void Map()
    {
        _app.Use(async (http, next) =>
        {
            http.Request.EnableBuffering();
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            http.Request.Body.Position = 0;
            Requests.Enqueue((http.Request.Method, http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.FirstOrDefault(),
                http.Request.Headers["Idempotency-Key"].FirstOrDefault(), body));
            if (!HttpMethods.IsGet(http.Request.Method) && !Authorized(http))
            {
                await Problem(401, "missing or wrong bearer token").ExecuteAsync(http);
                return;
            }

            await next(http);
        });
        _app.MapGet("/healthz", () => Results.Ok("ok"));
        _app.MapGet("/api/v1/hosts", () => Results.Text(HostsJson, "application/json"));
        _app.MapPost("/api/v1/hosts/{id}/cordon", (string id) => id == "host-a" ? Results.Text($"{{\"id\":\"{id}\",\"cordoned\":true}}", "application/json") : Problem(404, $"host '{id}' is not in the inventory"));
        _app.MapPost("/api/v1/hosts/{id}/uncordon", (string id) => Results.Text($"{{\"id\":\"{id}\",\"cordoned\":false}}", "application/json"));
        _app.MapPost("/api/v1/hosts/{id}/evacuate", (string id, bool? dryRun) =>
        {
            if (dryRun != true && TakeUnavailable())
            {
                return Problem(503, "the cluster is not ready");
            }

            if (dryRun == true)
            {
                return Results.Text("{\"host\":\"" + id + "\",\"plan\":[{\"workload\":\"vm-web\",\"target\":\"host-b\"},{\"workload\":\"vm-db\",\"target\":null,\"reason\":\"no compatible PF\"}]}", "application/json");
            }

            AddMigration("m-evac-1", "vm-web", "Requested", "Completed");
            return Results.Text("{\"id\":\"e-1\",\"host\":\"" + id + "\",\"state\":\"Running\",\"migrations\":[\"m-evac-1\"]}", "application/json");
        });
        _app.MapPost("/api/v1/placement", async (HttpContext http) =>
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body);
            var workload = body.RootElement.GetProperty("workload").GetString();
            var rejected = "{\"host\":\"host-c\",\"pf\":\"host-c/0000:5e:00.0\",\"reason\":\"FirmwareIncompatible\",\"detail\":\"28.39.1002 < 28.41.1000\",\"sourceVf\":\"host-a/0000:3b:00.0/vf0\"}";
            return workload == "vm-web"
                ? Results.Text("{\"candidates\":[{\"host\":\"host-b\",\"pf\":\"host-b/0000:3b:00.0\",\"sourceVf\":\"host-a/0000:3b:00.0/vf0\",\"targetVf\":\"host-b/0000:3b:00.0/vf2\"}],\"rejected\":[" + rejected + "]}", "application/json")
                : Results.Text("{\"candidates\":[],\"rejected\":[" + rejected + "]}", "application/json");
        });
        _app.MapPost("/api/v1/hosts/{id}/reconcile", (string id, bool? dryRun) => Results.Text(Reconcile(id, dryRun == true, skipped: id == "host-z"), "application/json"));
        _app.MapGet("/api/v1/hosts/{id}/reconcile", (string id) => Results.Text(Reconcile(id, false, skipped: false), "application/json"));
        _app.MapGet("/api/v1/evacuations", () => Results.Text("{\"items\":[" + Evacuation("e-1", "Running") + "],\"nextCursor\":null}", "application/json"));
        _app.MapGet("/api/v1/evacuations/{id}", (string id) => id == "e-1" ? Results.Text(Evacuation(id, "Running"), "application/json") : Problem(404, $"evacuation '{id}' does not exist"));
        _app.MapDelete("/api/v1/evacuations/{id}", (string id) => id == "e-1" ? Results.Text(Evacuation(id, "Cancelling"), "application/json", Encoding.UTF8, 202) : Problem(404, $"evacuation '{id}' does not exist"));
        _app.MapPost("/api/v1/migrations", async (HttpContext http) =>
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body);
            var workload = doc.RootElement.GetProperty("workload").GetString()!;
            var target = doc.RootElement.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (TakeUnavailable())
            {
                return Problem(503, "the cluster is not ready");
            }

            if (workload == "vm-nope")
            {
                return Problem(404, $"workload '{workload}' has no VF in the inventory");
            }

            if (target == "host-bad!")
            {
                return Problem(400, $"target: '{target}' is not a host id");
            }

            var key = http.Request.Headers["Idempotency-Key"].ToString();
            var id = _keys.GetOrAdd(key, _ => $"m-{_keys.Count + 1}");
            var m = _migrations.GetOrAdd(id, _ => new FakeMigration(id, workload, "host-a", target ?? "host-b", Script) { Reason = RollbackReason });
            http.Response.Headers.Location = $"/api/v1/migrations/{id}";
            return Results.Text(m.Json(advance: false), "application/json", Encoding.UTF8, 202);
        });
        IResult Page(int? limit, string? cursor, string? workload)
        {
            // Pages as the node does, ordered by id here, and never more than PageSize, so that clients must follow nextCursor.
            var matching = _migrations.Values.Where(m => workload is null || m.Workload == workload)
                .Where(m => cursor is null || string.CompareOrdinal(m.Id, cursor) > 0).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
            var page = matching.Take(Math.Min(limit ?? 100, PageSize)).ToList();
            var next = page.Count < matching.Count ? JsonSerializer.Serialize(page[^1].Id) : "null";
            return Results.Text("{\"items\":[" + string.Join(',', page.Select(m => m.Json(advance: false))) + "],\"nextCursor\":" + next + "}", "application/json");
        }

        _app.MapGet("/api/v1/migrations", (int? limit, string? cursor, string? workload) => Page(limit, cursor, workload));
        _app.MapGet("/api/v1/migrations/history", (int? limit, string? cursor, string? workload) => Page(limit, cursor, workload));
        _app.MapGet("/api/v1/migrations/{id}", (string id) =>
            _migrations.TryGetValue(id, out var m) ? Results.Text(m.Json(advance: true), "application/json") : Problem(404, $"migration '{id}' does not exist"));
        _app.MapDelete("/api/v1/migrations/{id}", (string id) =>
        {
            if (!_migrations.TryGetValue(id, out var m))
            {
                return Problem(404, $"migration '{id}' does not exist");
            }

            return m.Script[^1] == "Completed" && m.Step >= m.Script.Length - 1
                ? Problem(409, $"migration '{id}' is Completed; abort is accepted until Committed")
                : Results.Text(m.Json(advance: false), "application/json", Encoding.UTF8, 202);
        });
        _app.MapDelete("/api/v1/vfs/{**id}", (string id, bool? force) => force == true
            ? Results.Text($"{{\"id\":\"{id}\",\"pf\":null,\"exists\":false}}", "application/json")
            : Problem(409, $"VF {id} serves workload vm-web; destroy it with force=true"));
        _app.MapPatch("/api/v1/migrations/{id}/policy", (string id) =>
            _migrations.TryGetValue(id, out var m) ? Results.Text(m.Json(advance: false), "application/json") : Problem(404, $"migration '{id}' does not exist"));
        _app.MapPost("/api/v1/migrations/{id}/switchover", (string id) =>
            _migrations.TryGetValue(id, out var m) ? Results.Text(m.Json(advance: false), "application/json", Encoding.UTF8, 202) : Problem(404, $"migration '{id}' does not exist"));
        _app.MapGet("/api/v1/events", async (HttpContext http, CancellationToken ct) =>
        {
            http.Response.ContentType = "text/event-stream";
            await http.Response.WriteAsync(": hello\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // client went away
            }
        });
    }

    private const string HostsJson = """
        [{"id":"host-a","node":"node-1","cordoned":false,"pfs":[
           {"id":"host-a/0000:3b:00.0","driver":"mlx5","deviceType":"ConnectX-7","firmware":"28.41.1000","migrationFlags":"STOP_COPY|P2P|PRE_COPY","maxVfs":8,"freeVfSlots":6,"freeMigrationSlots":4,
            "vfs":[{"id":"host-a/0000:3b:00.0/vf0","kind":"vfio","profile":"eth-migratable","workload":"vm-web","state":"RUNNING"},
                   {"id":"host-a/0000:3b:00.0/vf2","kind":"kernel","profile":"eth-full","workload":null,"state":"RUNNING"}]}]},
         {"id":"host-b","node":"node-2","cordoned":true,"pfs":[
           {"id":"host-b/0000:3b:00.0","driver":"mlx5","deviceType":"ConnectX-7","firmware":"28.41.1000","migrationFlags":["STOP_COPY","P2P"],"maxVfs":8,"freeVfSlots":8,"freeMigrationSlots":4,"vfs":[]}]}]
        """;

    private static string Evacuation(string id, string state) =>
        "{\"id\":\"" + id + "\",\"host\":\"host-a\",\"state\":\"" + state + "\",\"completed\":1,\"rolledBack\":0,\"failed\":0,\"cancelled\":0,\"pending\":1,"
        + "\"migrations\":[{\"workload\":\"vm-web\",\"migration\":\"m-evac-1\",\"state\":\"PreCopying\",\"reason\":null}]}";

    private sealed class FakeMigration(string id, string workload, string source, string target, string[] script)
    {
        private int _step = -1;

        public string Id { get; } = id;

        public string Workload { get; } = workload;

        public string[] Script { get; } = script;

        public string? Reason { get; init; }

        public int Step => Volatile.Read(ref _step);

        public string Json(bool advance)
        {
            var step = advance ? Math.Min(Interlocked.Increment(ref _step), Script.Length - 1) : Math.Max(Step, 0);
            var state = Script[step];
            return Migration(Id, Workload, source, target, state, step, state == "RolledBack" ? Reason ?? "aborted" : null);
        }
    }
}
