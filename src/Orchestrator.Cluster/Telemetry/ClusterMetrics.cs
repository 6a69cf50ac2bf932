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

    /// <summary>Leftovers of ended migrations the reconcilers cleaned (not dry runs), tagged <see cref="ActionTag"/>.</summary>
    public static Counter<long> ReconcilerCleaned { get; } =
        Meter.CreateCounter<long>("orchestrator.reconciler.cleaned", "{leftover}", "Leftovers of ended migrations the reconcilers cleaned");
}
