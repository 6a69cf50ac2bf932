namespace Orchestrator.Client;

/// <summary>What kind of failure a client call ended in (the CLI maps each to one exit code).</summary>
public enum ApiErrorKind
{
    /// <summary>400: the server refused the input.</summary>
    BadInput,

    /// <summary>404.</summary>
    NotFound,

    /// <summary>409: the state does not allow it (e.g. abort after Committed, same idempotency key with another body).</summary>
    Conflict,

    /// <summary>No connection, timeout, 401/403: the API cannot be used.</summary>
    Unreachable,

    /// <summary>Any other failure (5xx, an answer that is not the documented shape).</summary>
    Failed,
}

/// <summary>A failed API call, with the HTTP status (when there was one) and the server's explanation.</summary>
public sealed class ApiException(ApiErrorKind kind, int? status, string message, Exception? inner = null) : Exception(message, inner)
{
    public ApiErrorKind Kind { get; } = kind;

    public int? Status { get; } = status;
}
