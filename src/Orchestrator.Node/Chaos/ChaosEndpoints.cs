using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Chaos.Harness;
using Orchestrator.Client;
using Orchestrator.Node.Api;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Chaos;

/// <summary>
/// <c>POST /api/v1/chaos/device-faults</c> (bearer token): injects a <see cref="DeviceFault"/> into a simulated PF of
/// this node. Served only by the chaos harness's node verbs (<see cref="FaultNode"/>); an <c>orchestrator node</c>
/// answers 403 saying so. Chaos runs and tests only.
/// </summary>
public static class ChaosEndpoints
{
    public const string Path = ApiEndpoints.Prefix + "/chaos/device-faults";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebApplication MapChaosFaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, async (HttpRequest request, IOptions<NodeOptions> options, ChaosFaults faults, CancellationToken ct) =>
        {
            if (!options.Value.ChaosFaultApi)
            {
                return Results.Problem(
                    detail: $"the chaos fault API is off on this node: only a node started with 'orchestrator {FaultNode.Verb}' (chaos runs and tests only) serves it",
                    statusCode: StatusCodes.Status403Forbidden, title: "forbidden");
            }

            DeviceFault? fault;
            try
            {
                fault = await JsonSerializer.DeserializeAsync<DeviceFault>(request.Body, Json, ct);
            }
            catch (JsonException e)
            {
                return ApiProblems.BadInput("body", null, $"not a device fault: {e.Message}");
            }

            if (fault is null)
            {
                return ApiProblems.BadInput("body", null, "a device fault is required");
            }

            return faults.Apply(fault) is { } problem
                ? ApiProblems.BadInput("fault", fault.Kind, problem)
                : Results.Ok(new { pf = fault.Pf, kind = fault.Kind });
        }).WithName("InjectDeviceFault").RequireBearer().ExcludeFromDescription();
        return app;
    }
}
