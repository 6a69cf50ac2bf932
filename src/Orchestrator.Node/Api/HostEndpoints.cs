using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>GET /hosts</c>, <c>GET /hosts/{id}</c>, <c>POST /hosts/{id}/cordon</c>, <c>POST /hosts/{id}/uncordon</c>,
/// <c>GET /hosts/{id}/reconcile</c> (the last run) and <c>POST /hosts/{id}/reconcile</c> (run now).
/// </summary>
public static class HostEndpoints
{
    private static readonly string[] CordonFields = ["reason"];

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/hosts", async (NodeRuntime node, CancellationToken ct) =>
        {
            var inventory = await node.Runtime!.Client.GetInventoryAsync(ct);
            return Results.Ok(inventory.Hosts.Values.OrderBy(h => h.Inventory.Id).Select(HostResource.From).ToList());
        }).WithName("ListHosts").Produces<List<HostResource>>();

        api.MapGet("/hosts/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryHost("id", id, out var host, out var problem))
            {
                return problem;
            }

            var inventory = await node.Runtime!.Client.GetInventoryAsync(ct);
            return inventory.Hosts.TryGetValue(host, out var entry)
                ? Results.Ok(HostResource.From(entry))
                : ApiProblems.NotFound($"host '{host}' is not in the inventory");
        }).WithName("GetHost").Produces<HostResource>().ProducesProblem(404);

        api.MapPost("/hosts/{id}/cordon", (string id, HttpRequest request, NodeRuntime node, CancellationToken ct) => CordonAsync(id, true, request, node, ct))
            .WithName("CordonHost").DocumentsBody<CordonBody>(required: false).WithDescription("Body (optional): {\"reason\": \"maintenance\"}. No new migration lands on the host; what runs there stays.")
            .Produces<CordonResource>().ProducesProblem(404).RequireBearer();
        api.MapPost("/hosts/{id}/uncordon", (string id, HttpRequest request, NodeRuntime node, CancellationToken ct) => CordonAsync(id, false, request, node, ct))
            .WithName("UncordonHost").Produces<CordonResource>().ProducesProblem(404).RequireBearer();
        api.MapGet("/hosts/{id}/reconcile", (string id, NodeRuntime node, CancellationToken ct) => ReconcileAsync(id, false, null, node, ct))
            .WithName("GetHostReconcileReport").Produces<ReconcileResource>().ProducesProblem(404);
        api.MapPost("/hosts/{id}/reconcile", (string id, string? dryRun, NodeRuntime node, CancellationToken ct) => ReconcileAsync(id, true, dryRun, node, ct))
            .WithName("ReconcileHost")
            .WithDescription("Runs the host's reconciler now and answers its report. ?dryRun=true compares only: planned lists what a run would clean, and nothing is cleaned or recorded.")
            .Produces<ReconcileResource>().ProducesProblem(400).ProducesProblem(404).RequireBearer();
    }

    private static async Task<IResult> ReconcileAsync(string id, bool run, string? dryRun, NodeRuntime node, CancellationToken ct)
    {
        if (!ApiIds.TryHost("id", id, out var host, out var problem))
        {
            return problem;
        }

        if (dryRun is not (null or "true" or "false"))
        {
            return ApiProblems.BadInput("dryRun", dryRun, $"dryRun '{dryRun}' must be true or false");
        }

        var result = await node.Runtime!.Client.ReconcileAsync(host, run, dryRun == "true", ct);
        return result.Value is { } report ? Results.Ok(ReconcileResource.From(report)) : ApiProblems.From(result.Error!);
    }

    private static async Task<IResult> CordonAsync(string id, bool cordon, HttpRequest request, NodeRuntime node, CancellationToken ct)
    {
        if (!ApiIds.TryHost("id", id, out var host, out var problem))
        {
            return problem;
        }

        var (body, bodyProblem) = await RequestBody.ReadAsync(request, CordonFields, optional: true);
        if (body is null)
        {
            return bodyProblem!;
        }

        var reason = body.Text("reason", required: false, ref bodyProblem);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var result = await node.Runtime!.Client.CordonAsync(host, cordon, reason, ct);
        return result.Value is { } state
            ? Results.Ok(new CordonResource(state.Host.Value, state.Cordoned))
            : ApiProblems.From(result.Error!);
    }
}

/// <summary>A host's cordon after <c>POST /hosts/{id}/cordon</c> or <c>/uncordon</c>.</summary>
public sealed record CordonResource(string Id, bool Cordoned);
