using Prometheus;

namespace Orchestrator.Node.Api;

/// <summary>Maps the whole HTTP surface: <c>/api/v1/…</c>, <c>/openapi/v1.json</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    public static WebApplication MapOrchestratorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup(Prefix).AddEndpointFilter<RuntimeFilter>().WithTags("orchestrator");
        HostEndpoints.Map(api);
        VfEndpoints.Map(api);
        PlacementEndpoints.Map(api);
        MigrationEndpoints.Map(api);
        EvacuationEndpoints.Map(api);
        EventEndpoints.Map(api);
        HealthEndpoints.Map(app);
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ApiMetrics>().Registry);
        app.MapOpenApi();
        return app;
    }
}
