using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>POST /vfs</c> (<c>{pf, kind, profile, workload?, index?}</c>: at <c>index</c>, 409 if a migration holds or reserved it,
/// or else at the lowest index free on the PF that no migration holds),
/// <c>GET /vfs/{id}</c>, <c>DELETE /vfs/{id}?force=</c> (409 while a migration holds the VF, forced or not; 409 when it
/// serves a workload unless <c>force=true</c>). Ids contain slashes.
/// </summary>
public static class VfEndpoints
{
    private static readonly string[] CreateFields = ["pf", "kind", "profile", "workload", "index"];

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/vfs", CreateAsync).WithName("CreateVf").DocumentsBody<CreateVfBody>().WithDescription("Body: {\"pf\": \"host-a/0000:3b:00.0\", \"kind\": \"vfio\" | \"kernel\", \"profile\": \"eth-small\", \"workload\": \"vm-1\" (optional), \"index\": 3 (optional; 409 if a migration holds or reserved it)}; header Idempotency-Key (optional): the same key answers the VF the first request created (200, Idempotent-Replayed: true), never a second VF; another body with it is 409 IdempotencyKeyReused")
            .Produces<VfChangeResource>(StatusCodes.Status201Created).ProducesProblem(404).RequireBearer();

        api.MapGet("/vfs/{**id}", async (string id, string? history, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryVf("id", id, out var vf, out var problem))
            {
                return problem;
            }

            if (history is not (null or "true" or "false"))
            {
                return ApiProblems.BadInput("history", history, $"history '{history}' must be true or false");
            }

            var inventory = await node.Runtime!.Client.GetInventoryAsync(ct);
            if (inventory.Inventory.FindVf(vf) is not { } found)
            {
                return ApiProblems.NotFound($"VF '{vf}' does not exist");
            }

            var resource = VfResource.From(found, inventory.Hosts.GetValueOrDefault(vf.Host));
            if (history != "true")
            {
                return Results.Ok(resource);
            }

            var status = await node.Runtime.Client.GetVfStatusAsync(vf, ct);
            return status.Value is { } s
                ? Results.Ok(resource with { State = s.State.Name(), History = [.. s.History.Select(VfTransitionResource.Of)] })
                : ApiProblems.From(status.Error!);
        }).WithName("GetVf").WithDescription("One VF from the directory; ?history=true reads it from its own actor through its PF instead: the state the PF last observed and its last 16 VFIO transitions, each with the migration and epoch whose command caused it")
            .Produces<VfResource>().ProducesProblem(404);

        api.MapDelete("/vfs/{**id}", async (string id, string? force, NodeRuntime node, CancellationToken ct) =>
        {
            if (!ApiIds.TryVf("id", id, out var vf, out var problem))
            {
                return problem;
            }

            var forced = false;
            if (force is not null && !bool.TryParse(force, out forced))
            {
                return ApiProblems.BadInput("force", force, $"force: '{force}' is not true or false");
            }

            var result = await node.Runtime!.Client.DestroyVfAsync(vf, forced, ct);
            return result.Value is { } destroyed
                ? Results.Ok(new VfChangeResource(destroyed.Vf.ToString(), destroyed.Vf.Pf.ToString(), null, null, null, Exists: false))
                : ApiProblems.From(result.Error!);
        }).WithName("DestroyVf").WithDescription("409 while a migration holds the VF (force does not override it), and when it serves a workload unless ?force=true")
            .Produces<VfChangeResource>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).RequireBearer();
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, NodeRuntime node, IdempotencyStore keys, CancellationToken ct)
    {
        var (key, badKey) = IdempotencyStore.ReadKey(request);
        if (badKey is not null)
        {
            return badKey;
        }

        var (body, problem) = await RequestBody.ReadAsync(request, CreateFields);
        if (body is null)
        {
            return problem!;
        }

        var pfText = body.Text("pf", required: true, ref problem);
        var kindText = body.Text("kind", required: true, ref problem);
        var profileText = body.Text("profile", required: true, ref problem);
        var workloadText = body.Text("workload", required: false, ref problem);
        var index = body.Number("index", min: 0, ref problem);
        if (problem is not null)
        {
            return problem;
        }

        if (!ApiIds.TryPf("pf", pfText, out var pf, out problem))
        {
            return problem;
        }

        if (!TryKind(kindText!, out var kind))
        {
            return ApiProblems.BadInput("kind", kindText, $"kind: '{kindText}' is unknown; expected vfio or kernel");
        }

        if (!ApiIds.TryProfile("profile", profileText, out var profile, out problem))
        {
            return problem;
        }

        WorkloadId? workload = null;
        if (workloadText is not null)
        {
            if (!ApiIds.TryWorkload("workload", workloadText, out var w, out problem))
            {
                return problem;
            }

            workload = w;
        }

        var inventory = await node.Runtime!.Client.GetInventoryAsync(ct);
        if (inventory.Inventory.FindPf(pf) is { } known && !known.Descriptor.Profiles.Contains(profile))
        {
            return ApiProblems.BadInput("profile", profileText,
                $"profile: '{profile}' is not offered by PF '{pf}'; it offers {string.Join(", ", known.Descriptor.Profiles)}");
        }

        // With a key: the VF an earlier request with it created (remembered in the cluster, and by the PF for a retry
        // that races the first request), never a second one.
        var hash = IdempotencyStore.VfRequestHash(pf, kind, profile, workload, index);
        var vfKey = key.Length > 0 ? IdempotencyStore.VfKey(key) : null;
        if (vfKey is not null && await keys.GetAsync(vfKey, ct) is { } stored)
        {
            var (storedHash, storedVf) = IdempotencyStore.ParseVfEntry(stored);
            if (storedHash != hash)
            {
                return ApiProblems.Conflict($"{MigrationEndpoints.IdempotencyHeader} '{key}' was used for another VF request (it created {storedVf}); use a new key for a new request", "IdempotencyKeyReused");
            }

            if (VfId.TryParse(storedVf, out var earlier, out _) && inventory.Inventory.FindVf(earlier) is { } found)
            {
                request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Ok(new VfChangeResource(earlier.ToString(), earlier.Pf.ToString(), VfResource.KindName(found.Kind), found.Profile.Value, workload?.Value, Exists: true));
            }

            return ApiProblems.Conflict($"{MigrationEndpoints.IdempotencyHeader} '{key}' created VF {storedVf}, which no longer exists; use a new key to create another", "IdempotencyKeyReused");
        }

        var result = await node.Runtime.Client.CreateVfAsync(pf, kind, profile, workload, index, vfKey, ct);
        if (result.Value is not { } created)
        {
            return ApiProblems.From(result.Error!);
        }

        if (vfKey is not null)
        {
            await keys.SetAsync(vfKey, IdempotencyStore.VfEntry(hash, created.Vf), ct);
        }

        var resource = new VfChangeResource(created.Vf.ToString(), created.Vf.Pf.ToString(), VfResource.KindName(created.Kind), created.Profile.Value, created.Workload?.Value, Exists: true);
        return Results.Created($"/api/v1/vfs/{created.Vf}", resource);
    }

    private static bool TryKind(string text, out VfKind kind)
    {
        switch (text)
        {
            case "vfio":
                kind = VfKind.Vfio;
                return true;
            case "kernel":
                kind = VfKind.Kernel;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
