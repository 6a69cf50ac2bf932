using Akka.Actor;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>503 until this member is Up and the runtime started; a cluster that does not answer in time is 503 too.</summary>
public sealed class RuntimeFilter(NodeRuntime node, ILogger<RuntimeFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (node.Runtime is null)
        {
            return ApiProblems.Unavailable("this node has not joined the cluster yet; retry shortly");
        }

        try
        {
            return await next(context);
        }
        catch (AskTimeoutException e)
        {
            logger.LogWarning("{Path}: the cluster did not answer in time: {Message}", context.HttpContext.Request.Path, e.Message);
            return ApiProblems.Unavailable($"the cluster did not answer in time: {e.Message}");
        }
    }
}
