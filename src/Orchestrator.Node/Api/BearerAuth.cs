using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// Bearer-token check of mutating endpoints: 401 problem+json without <c>Authorization: Bearer TOKEN</c> or with
/// another token. The comparison is over SHA-256 digests in constant time, so neither content nor length leaks.
/// </summary>
public sealed class BearerAuth(NodeToken token) : IEndpointFilter
{
    /// <summary>The query parameter that may carry the token of a read when the header cannot (a browser's EventSource).</summary>
    public const string QueryParameter = "access_token";

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Value));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        return Refusal(context.HttpContext, allowQuery: false) ?? await next(context);
    }

    /// <summary>Null when the request carries this cluster's token (in the header, or with <paramref name="allowQuery"/> in <see cref="QueryParameter"/>), else the 401.</summary>
    public IResult? Refusal(HttpContext http, bool allowQuery)
    {
        ArgumentNullException.ThrowIfNull(http);
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        string given;
        if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            given = header[scheme.Length..].Trim();
        }
        else if (allowQuery && http.Request.Query[QueryParameter].ToString() is { Length: > 0 } query)
        {
            given = query;
        }
        else
        {
            return Unauthorized(http, "missing Authorization: Bearer <token> header");
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _expected)
            ? null
            : Unauthorized(http, "the bearer token is not this cluster's token");
    }

    private static IResult Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(detail: detail, statusCode: StatusCodes.Status401Unauthorized, title: "unauthorized");
    }
}

/// <summary>
/// With <c>api.read-auth = on</c>, reads (GET) of <c>/api/v1</c> need the token too: in the header, or for the event
/// stream from a browser (whose EventSource sends no header) in <c>?access_token=</c>. Health, metrics and the
/// dashboard's own files stay open.
/// </summary>
public sealed class ReadAuth(BearerAuth bearer, IOptions<NodeOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (options.Value.ReadAuth && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            && bearer.Refusal(http, allowQuery: true) is { } refusal)
        {
            return refusal;
        }

        return await next(context);
    }
}
