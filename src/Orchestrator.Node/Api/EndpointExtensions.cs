namespace Orchestrator.Node.Api;

/// <summary>Endpoint conventions of the API.</summary>
public static class EndpointExtensions
{
    /// <summary>The endpoint changes something: it needs the bearer token (401 otherwise).</summary>
    public static RouteHandlerBuilder RequireBearer(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<BearerAuth>().WithMetadata(BearerRequired.Instance)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status400BadRequest);
}
