using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>problem+json answers: every one names what was wrong and, for bad input, the field and the value.</summary>
public static class ApiProblems
{
    /// <summary>400 naming the field and the value.</summary>
    public static IResult BadInput(string field, string? value, string detail) => Results.Problem(
        detail: detail,
        statusCode: StatusCodes.Status400BadRequest,
        title: $"invalid {field}",
        extensions: new Dictionary<string, object?> { ["field"] = field, ["value"] = value });

    /// <summary>The status of a <see cref="ClientError"/>: 404, 409, 503, 501 or 400.</summary>
    public static IResult From(ClientError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var (status, title) = error.Kind switch
        {
            ClientErrorKind.NotFound => (StatusCodes.Status404NotFound, "not found"),
            ClientErrorKind.Conflict => (StatusCodes.Status409Conflict, "conflict"),
            ClientErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "unavailable"),
            ClientErrorKind.Unsupported => (StatusCodes.Status501NotImplemented, "not supported"),
            _ => (StatusCodes.Status400BadRequest, "invalid request"),
        };
        return Results.Problem(
            detail: error.Message,
            statusCode: status,
            title: title,
            extensions: error.Code is null ? null : new Dictionary<string, object?> { ["code"] = error.Code });
    }

    public static IResult NotFound(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "not found");

    public static IResult Conflict(string detail, string? code = null) => Results.Problem(
        detail: detail,
        statusCode: StatusCodes.Status409Conflict,
        title: "conflict",
        extensions: code is null ? null : new Dictionary<string, object?> { ["code"] = code });

    public static IResult Unavailable(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "not ready");
}
