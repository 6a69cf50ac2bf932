using System.Security.Cryptography;
using System.Text;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>POST /hosts/{id}/evacuate</c> (<c>?dryRun=true</c> for the plan), <c>GET /evacuations</c> (filtered, paged),
/// <c>GET /evacuations/{id}</c> and <c>DELETE /evacuations/{id}</c> (cancel).
/// </summary>
public static class EvacuationEndpoints
{
    private static readonly string[] Filters = ["host", "state"];

    /// <summary>The states a filter may name, plus <c>active</c> and <c>ended</c>.</summary>
    private static readonly string[] StateNames = ["Running", "Cancelling", "Completed", "Cancelled", "active", "ended"];

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/hosts/{id}/evacuate", EvacuateAsync)
            .WithName("EvacuateHost")
            .WithDescription("Cordons the host and migrates every workload off it as one persistent job (202 with the job). ?dryRun=true answers the plan only (200), changing nothing. Header Idempotency-Key (optional): the same key answers the same job.")
            .Produces<EvacuationPlanResource>().Produces<EvacuationResource>(StatusCodes.Status202Accepted).ProducesProblem(404).ProducesProblem(409).RequireBearer();
        api.MapGet("/evacuations/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!IsJobId(id))
            {
                return ApiProblems.BadInput("id", id, $"evacuation id '{id}' is invalid: expected e- followed by 3 to 60 of [a-z0-9-]");
            }

            var result = await node.Runtime!.Client.GetEvacuationAsync(id, ct);
            return result.Value is { } view ? Results.Ok(EvacuationResource.From(view)) : ApiProblems.From(result.Error!);
        }).WithName("GetEvacuation").Produces<EvacuationResource>().ProducesProblem(400).ProducesProblem(404);

        api.MapDelete("/evacuations/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!IsJobId(id))
            {
                return ApiProblems.BadInput("id", id, $"evacuation id '{id}' is invalid: expected e- followed by 3 to 60 of [a-z0-9-]");
            }

            var result = await node.Runtime!.Client.CancelEvacuationAsync(id, "cancelled through the API", ct);
            return result.Value is { } view
                ? Results.Accepted($"/api/v1/evacuations/{view.Id}", EvacuationResource.From(view))
                : ApiProblems.From(result.Error!);
        }).WithName("CancelEvacuation")
            .WithDescription("Cancels the job (the same call again answers it as it is): no migration of it starts any more; those not yet Committed are aborted and roll back, those past Committed complete. The job ends Cancelled once they all ended; the host stays cordoned. 409 when the job already ended.")
            .Produces<EvacuationResource>(StatusCodes.Status202Accepted).ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).RequireBearer();

        api.MapGet("/evacuations", async (HttpRequest request, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiPaging.TryRead(request.Query, "GET /evacuations", Filters, out var limit, out var after, out var problem)
                || !ApiPaging.TryReadStates(request.Query, StateNames, out var states, out problem))
            {
                return problem!;
            }

            HostId? host = null;
            if (request.Query.TryGetValue("host", out var hostText))
            {
                if (!ApiIds.TryHost("host", hostText.ToString(), out var id, out problem))
                {
                    return problem;
                }

                host = id;
            }

            var jobs = (await node.Runtime!.Client.ListEvacuationsAsync(ct))
                .Where(e => (host is not { } h || e.Host == h) && (states is null || states.Contains(e.State) || states.Contains(e.IsTerminal ? "ended" : "active")));
            var page = ApiPaging.Page(jobs, e => e.CreatedAt, e => e.Id, limit, after);
            return Results.Ok(new ApiPage<EvacuationResource>([.. page.Items.Select(EvacuationResource.From)], page.NextCursor));
        }).WithName("ListEvacuations")
            .WithDescription("Query: host, state (comma-separated: Running, Cancelling, Completed, Cancelled, or active / ended), limit (1-1000, 100 by default), cursor (nextCursor of the previous page). Answers {items, nextCursor} in creation order. Lists running jobs and those ended within runtime.index-retention; GET /evacuations/{id} reads any job.")
            .Produces<ApiPage<EvacuationResource>>().ProducesProblem(400);
    }

    private static async Task<IResult> EvacuateAsync(string id, string? dryRun, HttpRequest request, NodeRuntime node, CancellationToken ct)
    {
        if (!ApiIds.TryHost("id", id, out var host, out var problem))
        {
            return problem;
        }

        if (dryRun is not (null or "true" or "false"))
        {
            return ApiProblems.BadInput("dryRun", dryRun, $"dryRun '{dryRun}' must be true or false");
        }

        var client = node.Runtime!.Client;
        if (dryRun == "true")
        {
            var plan = await client.PlanEvacuationAsync(host, ct);
            return plan.Value is { } items
                ? Results.Ok(new EvacuationPlanResource(host.Value, true, [.. items.Select(i => new EvacuationPlanItemResource(i.Workload.Value, i.Target?.Value, i.Reason))]))
                : ApiProblems.From(plan.Error!);
        }

        var key = request.Headers["Idempotency-Key"].ToString();
        var jobId = string.IsNullOrEmpty(key)
            ? "e-" + Guid.NewGuid().ToString("N")[..20]
            : "e-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{host}/{key}")))[..20];
        var result = await client.StartEvacuationAsync(jobId, host, ct);
        return result.Value is { } view
            ? Results.Accepted($"/api/v1/evacuations/{view.Id}", EvacuationResource.From(view))
            : ApiProblems.From(result.Error!);
    }

    private static bool IsJobId(string id) =>
        id.Length is >= 5 and <= 62 && id.StartsWith("e-", StringComparison.Ordinal) && id[2..].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}

/// <summary>
/// An evacuation job as the API shows it: <c>state</c> Running, Cancelling, Completed or Cancelled; counts of its
/// workloads' outcomes (<c>cancelled</c>: never started because of a cancel); each workload's migration.
/// </summary>
public sealed record EvacuationResource(
    string Id,
    string Host,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Completed,
    int RolledBack,
    int Failed,
    int Cancelled,
    int Pending,
    bool Terminal,
    string? CancelReason,
    IReadOnlyList<EvacuationMigrationResource> Migrations)
{
    public static EvacuationResource From(EvacuationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new EvacuationResource(
            view.Id,
            view.Host.Value,
            view.State,
            view.CreatedAt,
            view.UpdatedAt,
            view.Completed,
            view.RolledBack,
            view.Failed,
            view.Cancelled,
            view.Pending,
            view.IsTerminal,
            view.CancelReason,
            [.. view.Workloads.Select(w => new EvacuationMigrationResource(w.Workload.Value, w.Migration.Value, w.State, w.Reason))]);
    }
}

/// <summary>One workload of an evacuation and the migration that moves it.</summary>
public sealed record EvacuationMigrationResource(string Workload, string Migration, string State, string? Reason);

/// <summary>The dry run of an evacuation: where each workload of the host would go now, or why it cannot move.</summary>
public sealed record EvacuationPlanResource(string Host, bool DryRun, IReadOnlyList<EvacuationPlanItemResource> Plan);

/// <summary>One workload of an evacuation plan: its target, or the reason it has none.</summary>
public sealed record EvacuationPlanItemResource(string Workload, string? Target, string? Reason);
