using Microsoft.Extensions.Options;
using Orchestrator.Client;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>POST /migrations</c> (<c>{workload, target?}</c>, <c>Idempotency-Key</c> header → 202 + Location),
/// <c>GET /migrations</c> (filtered and paged, see <see cref="MigrationListQuery"/>), <c>GET /migrations/history</c> (every
/// ended migration from the journal, in the order they ended, see <see cref="MigrationHistoryQuery"/>), <c>GET /migrations/{id}</c>, <c>DELETE /migrations/{id}</c> (abort; 409 once Committed),
/// <c>POST /migrations/{id}/switchover?force=true</c>, <c>PATCH /migrations/{id}/policy</c> (downtime limit, bandwidth). See <see cref="IdempotencyStore"/> for how keys are kept.
/// </summary>
public static class MigrationEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";


    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/migrations", StartAsync).WithName("StartMigration").DocumentsBody<StartMigrationBody>().WithDescription("Body: {\"workload\": \"vm-1\", \"target\": \"host-b\" (optional), \"policy\": {downtimeLimitMs, bandwidthBytesPerSecond, maxPreCopyRounds, completionTimeoutPerGiBSeconds, progressTimeoutSeconds, nonConvergenceAction: abort|force|wait, switchoverAckWaitMs} (optional, each field optional, over the node defaults)}; header Idempotency-Key (optional): the same key answers the same migration, from any node; another body with it is 409 IdempotencyKeyReused. The request behind a key is kept for api.idempotency-retention (24 h by default); after that the key still answers its migration, and another body is compared with the migration itself.")
            .Produces<ApiMigration>(StatusCodes.Status202Accepted).ProducesProblem(404).ProducesProblem(409).RequireBearer();

        api.MapGet("/migrations", async (HttpRequest request, NodeRuntime node, CancellationToken ct) =>
        {
            if (!MigrationListQuery.TryParse(request.Query, out var query, out var problem))
            {
                return problem!;
            }

            var page = query.Page(await node.Runtime!.Client.ListMigrationsAsync(ct));
            return Results.Ok(new ApiPage<ApiMigration>([.. page.Items.Select(MigrationResource.From)], page.NextCursor));
        }).WithName("ListMigrations").WithDescription("Query: workload, host (source or target), state (comma-separated states, or active / ended), since (changed at or after, ISO 8601), limit (1-1000, 100 by default), cursor (nextCursor of the previous page). Answers {items, nextCursor} in creation order; nextCursor is null on the last page. Lists migrations in flight and those ended within runtime.index-retention; GET /migrations/history lists every ended one and GET /migrations/{id} reads any migration.")
            .Produces<ApiPage<ApiMigration>>().ProducesProblem(400);

        api.MapGet("/migrations/history", async (HttpRequest request, NodeRuntime node, CancellationToken ct) =>
        {
            if (!MigrationHistoryQuery.TryParse(request.Query, out var query, out var problem))
            {
                return problem!;
            }

            var result = await node.Runtime!.Client.ListEndedMigrationsAsync(query.After?.Ordering ?? 0, query.Limit, query.Filter, ct);
            return result.Value is { } page
                ? Results.Ok(new ApiPage<ApiMigration>([.. page.Items.Select(v => MigrationResource.From(v.View))], page.Next is { } next ? new JournalCursor(next).ToString() : null))
                : ApiProblems.From(result.Error!);
        }).WithName("ListMigrationHistory").WithDescription($"Every ended migration (Completed, RolledBack, Failed), however long ago, read from the journal: each as GET /migrations/{{id}} answers it, in the order they ended (the journal's order of their terminal events). Query: workload, host (source or target), limit (1-1000, 100 by default), cursor (nextCursor of the previous page: where the last item ended, so a page neither repeats nor skips one while more end). Answers {{items, nextCursor}}; nextCursor is null on the last page. At most {MigrationJournal.ExaminedPerPage} ended migrations are read per page: a filtered page may hold fewer than limit items and still have a nextCursor. 501 on a node whose journal is in memory (it keeps no global order).")
            .Produces<ApiPage<ApiMigration>>().ProducesProblem(400).ProducesProblem(501);

        api.MapGet("/migrations/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryMigration("id", id, out var migration, out var problem))
            {
                return problem;
            }

            var result = await node.Runtime!.Client.GetMigrationAsync(migration, ct);
            return result.Value is { } view ? Results.Ok(MigrationResource.From(view)) : ApiProblems.From(result.Error!);
        }).WithName("GetMigration").Produces<ApiMigration>().ProducesProblem(404);

        api.MapDelete("/migrations/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryMigration("id", id, out var migration, out var problem))
            {
                return problem;
            }

            var result = await node.Runtime!.Client.AbortAsync(migration, "aborted through the API", ct);
            return result.Value is { } view
                ? Results.Accepted(MigrationResource.Location(view.Id.Value), MigrationResource.From(view))
                : ApiProblems.From(result.Error!);
        }).WithName("AbortMigration").Produces<ApiMigration>(StatusCodes.Status202Accepted).ProducesProblem(404).ProducesProblem(409).RequireBearer();

        api.MapPatch("/migrations/{id}/policy", ChangePolicyAsync).WithName("ChangeMigrationPolicy")
            .WithDescription("Body: {\"downtimeLimitMs\": 500, \"bandwidthBytesPerSecond\": 1000000000 (null: no cap)}, each optional, at least one. Changes a running migration's downtime limit and bandwidth cap until its switchover starts (as virsh migrate-setmaxdowntime / migrate-setspeed); the next pre-copy round is judged and streamed under them. 200 with the migration; 409 once switchover started, while rolling back, or after the end.")
            .Accepts<PolicyChange>("application/json").Produces<ApiMigration>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).RequireBearer();

        api.MapPost("/migrations/{id}/switchover", async (string id, string? force, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryMigration("id", id, out var migration, out var problem))
            {
                return problem;
            }

            if (!TryBool(force, out var forced))
            {
                return ApiProblems.BadInput("force", force, $"force: '{force}' is not true or false");
            }

            var result = await node.Runtime!.Client.SwitchoverAsync(migration, forced, ct);
            return result.Value is { } view
                ? Results.Accepted(MigrationResource.Location(view.Id.Value), MigrationResource.From(view))
                : ApiProblems.From(result.Error!);
        }).WithName("Switchover").Produces<ApiMigration>(StatusCodes.Status202Accepted).ProducesProblem(404).ProducesProblem(409).RequireBearer();
    }

    private static async Task<IResult> StartAsync(HttpContext http, NodeRuntime node, IdempotencyStore keys, TimeProvider time, IOptions<NodeOptions> options, ILogger<IdempotencyStore> logger)
    {
        var ct = http.RequestAborted;
        var (parsed, problem) = await WorkloadRequest.ReadAsync(http.Request, options.Value.DefaultPolicy);
        if (parsed is null)
        {
            return problem!;
        }

        var (workload, target, policy) = (parsed.Workload, parsed.Target, parsed.Policy ?? options.Value.DefaultPolicy);

        var client = node.Runtime!.Client;
        var (key, badKey) = IdempotencyStore.ReadKey(http.Request);
        if (badKey is not null)
        {
            return badKey;
        }

        if (key.Length == 0)
        {
            var fresh = MigrationId.New(time.GetUtcNow(), Random.Shared);
            return Answer(http, await client.StartMigrationAsync(fresh, workload, target, policy, ct), replayed: false);
        }

        var id = IdempotencyStore.MigrationIdFor(key);
        var hash = IdempotencyStore.RequestHash(workload, target, parsed.Policy is null ? null : PolicyRequest.Canonical(parsed.Policy));
        var stored = await keys.GetAsync(key, ct);
        if (stored is not null && stored != hash)
        {
            return ApiProblems.Conflict($"{IdempotencyHeader} '{key}' was used for another request (migration {id}); use a new key for a new request", "IdempotencyKeyReused");
        }

        var existing = await client.GetMigrationAsync(id, ct);
        if (existing.Value is { } known)
        {
            if (!Matches(known, workload, target))
            {
                return KeyConflict(key, known);
            }

            if (stored is null)
            {
                await keys.SetAsync(key, hash, ct);
            }

            return Answer(http, known, replayed: true);
        }

        var started = await client.StartMigrationAsync(id, workload, target, policy, ct);
        if (started.Value is { } view)
        {
            if (!Matches(view, workload, target))
            {
                // Another request with the same key but another body won the race to the coordinator.
                return KeyConflict(key, view);
            }

            await keys.SetAsync(key, hash, ct);
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{MigrationId} started for {Workload} under idempotency key {Key}", view.Id, workload, key);
            }
        }

        return Answer(http, started, replayed: false);
    }

    private static async Task<IResult> ChangePolicyAsync(string id, HttpRequest request, NodeRuntime node, CancellationToken ct)
    {
        if (!ApiIds.TryMigration("id", id, out var migration, out var problem))
        {
            return problem;
        }

        var (body, bad) = await RequestBody.ReadAsync(request, PolicyRequest.Changeable);
        if (body is null)
        {
            return bad!;
        }

        if (body.IsEmpty)
        {
            return ApiProblems.BadInput("body", "{}", $"body {{}} names nothing to change; give {string.Join(" and/or ", PolicyRequest.Changeable)}");
        }

        var (read, invalid) = PolicyRequest.Read(body.AsObject(), Domain.Policies.MigrationPolicy.Default, prefix: "");
        if (read is null)
        {
            return invalid!;
        }

        var downtime = body.Has("downtimeLimitMs").Given ? read.DowntimeLimit : (TimeSpan?)null;
        var (bandwidthGiven, clearBandwidth) = body.Has("bandwidthBytesPerSecond");
        var result = await node.Runtime!.Client.ChangePolicyAsync(migration, downtime, bandwidthGiven ? read.BandwidthCapBytesPerSecond : null, clearBandwidth, ct);
        return result.Value is { } view ? Results.Ok(MigrationResource.From(view)) : ApiProblems.From(result.Error!);
    }

    private static IResult KeyConflict(string key, MigrationView view) => ApiProblems.Conflict(
        $"{IdempotencyHeader} '{key}' belongs to migration {view.Id} of workload '{view.Workload}' to '{view.Target?.Value ?? "(placement)"}'; use a new key for a new request",
        "IdempotencyKeyReused");

    private static bool Matches(MigrationView view, WorkloadId workload, HostId? target) =>
        view.Workload == workload && (target is null || view.Target is null || view.Target == target);

    private static IResult Answer(HttpContext http, Cluster.Hosting.Result<MigrationView> result, bool replayed)
    {
        if (result.Value is not { } view)
        {
            return ApiProblems.From(result.Error!);
        }

        if (replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return Results.Accepted(MigrationResource.Location(view.Id.Value), MigrationResource.From(view));
    }

    private static bool TryBool(string? text, out bool value)
    {
        value = false;
        if (text is null)
        {
            return true;
        }

        return bool.TryParse(text, out value);
    }
}

/// <summary>The body of <c>PATCH /migrations/{id}/policy</c>: what changes (absent: unchanged; a null bandwidth: no cap).</summary>
public sealed record PolicyChange(double? DowntimeLimitMs, long? BandwidthBytesPerSecond);
