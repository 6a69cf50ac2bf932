using System.Security.Cryptography;
using System.Text;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary><c>POST /hosts/{id}/evacuate</c> (<c>?dryRun=true</c> for the plan) and <c>GET /evacuations/{id}</c>.</summary>
public static class EvacuationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/hosts/{id}/evacuate", EvacuateAsync)
            .WithName("EvacuateHost")
            .WithDescription("Cordons the host and migrates every workload off it as one persistent job. ?dryRun=true returns the plan only. Header Idempotency-Key (optional): the same key answers the same job.")
            .RequireBearer();
        api.MapGet("/evacuations/{id}", async (string id, NodeRuntime node, CancellationToken ct) =>
        {
            if (!IsJobId(id))
            {
                return ApiProblems.BadInput("id", id, $"evacuation id '{id}' is invalid: expected e- followed by 3 to 60 of [a-z0-9-]");
            }

            var result = await node.Runtime!.Client.GetEvacuationAsync(id, ct);
            return result.Value is { } view ? Results.Ok(Resource(view)) : ApiProblems.From(result.Error!);
        }).WithName("GetEvacuation").ProducesProblem(404);
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
                ? Results.Ok(new
                {
                    host = host.Value,
                    dryRun = true,
                    plan = items.Select(i => new { workload = i.Workload.Value, target = i.Target?.Value, reason = i.Reason }),
                })
                : ApiProblems.From(plan.Error!);
        }

        var key = request.Headers["Idempotency-Key"].ToString();
        var jobId = string.IsNullOrEmpty(key)
            ? "e-" + Guid.NewGuid().ToString("N")[..20]
            : "e-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{host}/{key}")))[..20];
        var result = await client.StartEvacuationAsync(jobId, host, ct);
        return result.Value is { } view
            ? Results.Accepted($"/api/v1/evacuations/{view.Id}", Resource(view))
            : ApiProblems.From(result.Error!);
    }

    private static bool IsJobId(string id) =>
        id.Length is >= 5 and <= 62 && id.StartsWith("e-", StringComparison.Ordinal) && id[2..].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    private static object Resource(EvacuationView view) => new
    {
        id = view.Id,
        host = view.Host.Value,
        state = view.State,
        createdAt = view.CreatedAt,
        updatedAt = view.UpdatedAt,
        completed = view.Completed,
        rolledBack = view.RolledBack,
        failed = view.Failed,
        pending = view.Pending,
        migrations = view.Workloads.Select(w => new { workload = w.Workload.Value, migration = w.Migration.Value, state = w.State, reason = w.Reason }),
    };
}
