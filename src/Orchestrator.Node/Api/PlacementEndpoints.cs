using Orchestrator.Domain.Placement;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>POST /placement</c> (<c>{workload, target?}</c>): every host and PF that fits, the one a migration would get
/// first, and for every rejected one the reason. Reserves nothing.
/// </summary>
public static class PlacementEndpoints
{

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/placement", QueryAsync).WithName("QueryPlacement").DocumentsBody<PlacementBody>().WithDescription("Body: {\"workload\": \"vm-1\", \"target\": \"host-b\" (optional)}")
            .Produces<PlacementResource>().ProducesProblem(404).RequireBearer();
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, NodeRuntime node, CancellationToken ct)
    {
        var (parsed, problem) = await WorkloadRequest.ReadAsync(request);
        if (parsed is null)
        {
            return problem!;
        }

        var (workload, target) = (parsed.Workload, parsed.Target);

        var client = node.Runtime!.Client;
        var first = await client.QueryPlacementAsync(workload, target, ct);
        if (first.Value is not { } result)
        {
            return ApiProblems.From(first.Error!);
        }

        var candidates = new List<PlacementCandidate>();
        Add(candidates, result.Target);
        if (target is null && result.Target is not null)
        {
            // The placer answers its best host; ask for every other host that it did not reject as a whole.
            var rejectedHosts = result.Rejections.Where(r => r.Pf is null && r.Host is not null).Select(r => r.Host!.Value).ToHashSet();
            var inventory = await client.GetInventoryAsync(ct);
            foreach (var host in inventory.Hosts.Keys.Order())
            {
                if (host == result.Target.Host || rejectedHosts.Contains(host))
                {
                    continue;
                }

                var other = await client.QueryPlacementAsync(workload, host, ct);
                Add(candidates, other.Value?.Target);
            }
        }

        var rejected = result.Rejections
            .Select(r => new PlacementRejected(r.Host?.Value, r.Pf?.ToString(), r.Code.ToString(), r.Detail, r.SourceVf?.ToString()))
            .ToList();
        return Results.Ok(new PlacementResource(candidates, rejected));
    }

    private static void Add(List<PlacementCandidate> candidates, PlacementTarget? target)
    {
        if (target is null)
        {
            return;
        }

        candidates.AddRange(target.Vfs.Select(v => new PlacementCandidate(target.Host.Value, v.Target.Pf.ToString(), v.Source.ToString(), v.Target.ToString())));
    }
}
