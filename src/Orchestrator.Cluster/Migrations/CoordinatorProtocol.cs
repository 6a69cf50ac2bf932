using Orchestrator.Domain.Migrations;

namespace Orchestrator.Cluster.Migrations;

/// <summary>What clients send a migration coordinator (through the shard region, in a <see cref="MigrationEnvelope"/>).</summary>
public static class CoordinatorProtocol
{
    /// <summary>
    /// Start the migration (idempotent: the same request again answers the migration as it is). <paramref name="TraceParent"/>:
    /// the W3C trace context of the start's span, the parent of the coordinator's step spans (see <c>MigrationTracing</c>).
    /// </summary>
    public sealed record StartMigration(MigrationCommands.RequestMigration Request, string? TraceParent = null) : IOrchestratorMessage;

    /// <summary>Ask for the migration as it is now.</summary>
    public sealed record GetMigration : IOrchestratorMessage
    {
        public static GetMigration Instance { get; } = new();
    }

    /// <summary>Abort: accepted until Committed.</summary>
    public sealed record AbortMigration(string Reason) : IOrchestratorMessage;

    /// <summary>
    /// Make sure the migration never starts if it has not (<see cref="MigrationCommands.Withdraw"/>): answered with the
    /// view, RolledBack (code Aborted) when it was withdrawn, as it is when it was requested before; Rejected
    /// (Unavailable) while its start waits for the placement authority (ask again).
    /// </summary>
    public sealed record WithdrawMigration(WorkloadId Workload, string Reason) : IOrchestratorMessage;

    /// <summary>End pre-copy now (force) or when the prediction allows (not forced).</summary>
    public sealed record Switchover(bool Force) : IOrchestratorMessage;

    /// <summary>
    /// Change the downtime limit and bandwidth cap of a migration before its switchover (null: unchanged;
    /// <paramref name="ClearBandwidthCap"/>: no cap). Answered with the view, or Rejected.
    /// </summary>
    public sealed record ChangeMigrationPolicy(TimeSpan? DowntimeLimit, long? BandwidthCapBytesPerSecond, bool ClearBandwidthCap) : IOrchestratorMessage;

    /// <summary>The request was refused; nothing changed.</summary>
    public sealed record Rejected(MigrationId Migration, string Code, string Reason) : IOrchestratorMessage;

    /// <summary>No migration has this id.</summary>
    public sealed record Unknown(MigrationId Migration) : IOrchestratorMessage;
}

/// <summary>The sharding envelope: which migration, and the message for its coordinator.</summary>
public sealed record MigrationEnvelope(MigrationId Migration, object Message) : IOrchestratorMessage;

/// <summary>The codes of <see cref="CoordinatorProtocol.Rejected"/> that are not a domain <c>RejectionCode</c>.</summary>
public static class RejectedCodes
{
    /// <summary>Another migration of the workload is in flight (409, naming it).</summary>
    public const string WorkloadBusy = "WorkloadBusy";

    /// <summary>
    /// The request named source VFs that a migration of the workload took away after the request read the inventory
    /// (it was sent while that migration ended); nothing was started. The client reads the inventory again and retries.
    /// </summary>
    public const string SourceMoved = "SourceMoved";

    /// <summary>The id was withdrawn before it started (an evacuation's cancel): it never runs (409; use a new id).</summary>
    public const string Withdrawn = "Withdrawn";

    /// <summary>The placement authority did not answer in time (503: nothing was started; ask again).</summary>
    public const string Unavailable = "Unavailable";
}
