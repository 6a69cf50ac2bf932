using System.Diagnostics.Metrics;

namespace Orchestrator.Cluster.Telemetry;

/// <summary>
/// The cluster's own instruments, as <see cref="System.Diagnostics.Metrics"/> (the node exports them to Prometheus).
/// Each process measures what happens in it: its journal writers, the placement authority when it runs there, its
/// hosts' reconcilers.
/// </summary>
public static class ClusterMetrics
{
    /// <summary>The meter of the orchestrator's own instruments.</summary>
    public const string MeterName = "Orchestrator";

    /// <summary>The tag that names a journal writer: <c>migration</c>, <c>host</c>, <c>reconciler</c>.</summary>
    public const string WriterTag = "writer";

    /// <summary>The tag that names the migration measured (tests and traces; the Prometheus export drops it).</summary>
    public const string MigrationTag = "migration";

    /// <summary>The tag that names a clean-up action (<c>DestroyTarget</c>, <c>FreeSlot</c>, … as the API names them).</summary>
    public const string ActionTag = "action";

    /// <summary>The tag that names how a migration ended: <c>Completed</c>, <c>RolledBack</c>, <c>Failed</c>.</summary>
    public const string OutcomeTag = "outcome";

    /// <summary>The tag that names a rollback or failure code (<c>Aborted</c>, <c>SourceLost</c>, …).</summary>
    public const string CodeTag = "code";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Seconds from a journal write's Persist to its handler, the time the writer stood still (measured by each
    /// <see cref="Persistence.JournalWatchdog"/>), tagged <see cref="WriterTag"/>.
    /// </summary>
    public static Histogram<double> JournalWriteDuration { get; } =
        Meter.CreateHistogram<double>("orchestrator.journal.write.duration", "s", "Seconds from a journal write to its confirmation");

    /// <summary>Writes the journal did not confirm within the writer's limit (the watchdog restarted the writer).</summary>
    public static Counter<long> JournalWriteTimeouts { get; } =
        Meter.CreateCounter<long>("orchestrator.journal.write.timeouts", "{write}", "Journal writes not confirmed within the limit");

    /// <summary>
    /// Seconds from a migration's first request for admission to its grant, measured by the placement authority (a wait
    /// that began before the authority moved to this node is not measured), tagged <see cref="MigrationTag"/>.
    /// </summary>
    public static Histogram<double> AdmissionWait { get; } =
        Meter.CreateHistogram<double>("orchestrator.admission.wait", "s", "Seconds a migration waited for admission");

    /// <summary>
    /// Device state bytes the coordinators of this process saw their migrations move (pre-copy rounds and stop-copy);
    /// a coordinator recovered here counts only what moves after it took over.
    /// </summary>
    public static Counter<long> MigrationTransferred { get; } =
        Meter.CreateCounter<long>("orchestrator.migration.transferred", "By", "Device state bytes moved by migrations");

    /// <summary>Seconds from request to end of the migrations that ended in this process, tagged <see cref="OutcomeTag"/>.</summary>
    public static Histogram<double> MigrationDuration { get; } =
        Meter.CreateHistogram<double>("orchestrator.migration.duration", "s", "Seconds from a migration's request to its end");

    /// <summary>Measured downtime of the migrations that completed in this process.</summary>
    public static Histogram<double> MigrationDowntime { get; } =
        Meter.CreateHistogram<double>("orchestrator.migration.downtime", "s", "Measured downtime of completed migrations");

    /// <summary>Migrations that ended Failed in this process, tagged <see cref="CodeTag"/> (the failure code).</summary>
    public static Counter<long> MigrationsFailed { get; } =
        Meter.CreateCounter<long>("orchestrator.migrations.failed", "{migration}", "Migrations that ended Failed");

    /// <summary>Migrations that ended RolledBack in this process, tagged <see cref="CodeTag"/> (the rollback code).</summary>
    public static Counter<long> MigrationsRolledBack { get; } =
        Meter.CreateCounter<long>("orchestrator.migrations.rolled-back", "{migration}", "Migrations that ended RolledBack");

    /// <summary>Leftovers of ended migrations the reconcilers cleaned (not dry runs), tagged <see cref="ActionTag"/>.</summary>
    public static Counter<long> ReconcilerCleaned { get; } =
        Meter.CreateCounter<long>("orchestrator.reconciler.cleaned", "{leftover}", "Leftovers of ended migrations the reconcilers cleaned");

    /// <summary>
    /// What a coordinator saw after its events were written: the bytes moved since <paramref name="bytesCounted"/>
    /// (which it then advances) and, when <paramref name="view"/> has just ended, its outcome. Called on the live path
    /// only, never while a coordinator replays its journal, so a migration is counted by the process that ran it, once.
    /// </summary>
    public static void RecordMigration(Migrations.MigrationView view, bool ended, ref long bytesCounted)
    {
        ArgumentNullException.ThrowIfNull(view);
        var migration = new KeyValuePair<string, object?>(MigrationTag, view.Id.Value);
        if (view.Progress.BytesTransferred > bytesCounted)
        {
            MigrationTransferred.Add(view.Progress.BytesTransferred - bytesCounted, migration);
            bytesCounted = view.Progress.BytesTransferred;
        }

        if (!ended || !view.IsTerminal)
        {
            return;
        }

        var outcome = view.State.ToString();
        MigrationDuration.Record(Math.Max(0, (view.UpdatedAt - view.CreatedAt).TotalSeconds), new(OutcomeTag, outcome), migration);
        switch (view.State)
        {
            case Domain.Migrations.MigrationPhase.Completed when view.DowntimeMs is { } downtime:
                MigrationDowntime.Record(downtime / 1000.0, migration);
                break;
            case Domain.Migrations.MigrationPhase.Failed:
                MigrationsFailed.Add(1, new(CodeTag, view.Code ?? "Unknown"), migration);
                break;
            case Domain.Migrations.MigrationPhase.RolledBack:
                MigrationsRolledBack.Add(1, new(CodeTag, view.Code ?? "Unspecified"), migration);
                break;
        }
    }
}
