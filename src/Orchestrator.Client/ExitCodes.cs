namespace Orchestrator.Client;

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
