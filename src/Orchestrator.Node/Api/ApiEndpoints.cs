using Prometheus;

namespace Orchestrator.Node.Api;

/// <summary>Maps the whole HTTP surface: <c>/api/v1/…</c>, <c>/openapi/v1.json</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    public static WebApplication MapOrchestratorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Request counts and durations per endpoint and status class (2xx, 4xx, 5xx), in the node's registry.
        var registry = app.Services.GetRequiredService<ApiMetrics>().Registry;
        app.UseHttpMetrics(o =>
        {
            o.SetMetricFactory(Metrics.WithCustomRegistry(registry));
            o.ReduceStatusCodeCardinality();
        });
        var api = app.MapGroup(Prefix).AddEndpointFilter<ReadAuth>().AddEndpointFilter<RuntimeFilter>().WithTags("orchestrator");
        HostEndpoints.Map(api);
        VfEndpoints.Map(api);
        PlacementEndpoints.Map(api);
        MigrationEndpoints.Map(api);
        EvacuationEndpoints.Map(api);
        EventEndpoints.Map(api);
        HealthEndpoints.Map(app);
        app.MapMetrics("/metrics", registry);
        app.MapOpenApi();
        return app;
    }
}
