namespace Orchestrator.Cluster.History;

/// <summary>The protocol states of DESIGN.md §4 as spelled in <c>migration-state</c> records.</summary>
public static class MigrationStates
{
    /// <summary>Requested.</summary>
    public const string Requested = "Requested";

    /// <summary>Placed.</summary>
    public const string Placed = "Placed";

    /// <summary>TargetPrepared.</summary>
    public const string TargetPrepared = "TargetPrepared";

    /// <summary>PreCopying.</summary>
    public const string PreCopying = "PreCopying";

    /// <summary>SwitchoverStarted.</summary>
    public const string SwitchoverStarted = "SwitchoverStarted";

    /// <summary>StateTransferred.</summary>
    public const string StateTransferred = "StateTransferred";

    /// <summary>TargetLoaded.</summary>
    public const string TargetLoaded = "TargetLoaded";

    /// <summary>Committed: the point of no return.</summary>
    public const string Committed = "Committed";

    /// <summary>TargetRunning.</summary>
    public const string TargetRunning = "TargetRunning";

    /// <summary>SourceReleased.</summary>
    public const string SourceReleased = "SourceReleased";

    /// <summary>Completed: ended on the target.</summary>
    public const string Completed = "Completed";

    /// <summary>RollingBack.</summary>
    public const string RollingBack = "RollingBack";

    /// <summary>RolledBack: ended on the source.</summary>
    public const string RolledBack = "RolledBack";

    /// <summary>Failed: could go neither forward nor back; no host is claimed for the workload.</summary>
    public const string Failed = "Failed";

    /// <summary>True for the three end states.</summary>
    public static bool IsEnd(string state) => state is Completed or RolledBack or Failed;
}
