using System.Security.Cryptography;
using System.Text;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// Bearer-token check of mutating endpoints: 401 problem+json without <c>Authorization: Bearer TOKEN</c> or with
/// another token. The comparison is over SHA-256 digests in constant time, so neither content nor length leaks.
/// </summary>
public sealed class BearerAuth(NodeToken token) : IEndpointFilter
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Value));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Unauthorized(context.HttpContext, "missing Authorization: Bearer <token> header");
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
        {
            return Unauthorized(context.HttpContext, "the bearer token is not this cluster's token");
        }

        return await next(context);
    }

    private static IResult Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(detail: detail, statusCode: StatusCodes.Status401Unauthorized, title: "unauthorized");
    }
}
