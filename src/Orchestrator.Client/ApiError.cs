namespace Orchestrator.Node.Cli.Client;

/// <summary>What kind of failure a client call ended in; each maps to one exit code (<see cref="ExitCodes"/>).</summary>
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

    public int ExitCode => ExitCodes.For(Kind);
}

/// <summary>The exit codes of the client verbs; scripts rely on them (README "Command line").</summary>
public static class ExitCodes
{
    /// <summary>Done; a waited-for migration Completed.</summary>
    public const int Ok = 0;

    /// <summary>A migration ended RolledBack or Failed, or the operation failed on the server.</summary>
    public const int Failed = 1;

    /// <summary>Bad input; the message names the value.</summary>
    public const int BadInput = 2;

    /// <summary>The host, migration or workload does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>The state does not allow it (409).</summary>
    public const int Conflict = 4;

    /// <summary>The API cannot be reached, or refused the token.</summary>
    public const int Unreachable = 5;

    public static int For(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.BadInput => BadInput,
        ApiErrorKind.NotFound => NotFound,
        ApiErrorKind.Conflict => Conflict,
        ApiErrorKind.Unreachable => Unreachable,
        _ => Failed,
    };
}
