using System.Diagnostics.Metrics;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// How long the journal takes to confirm a write, per kind of writer, as <see cref="System.Diagnostics.Metrics"/>
/// instruments (the node exports them to Prometheus): measured by each <see cref="JournalWatchdog"/> from just before
/// Persist to its handler, which is the time the writer stood still.
/// </summary>
public static class JournalMetrics
{
    /// <summary>The meter of the orchestrator's own instruments.</summary>
    public const string MeterName = "Orchestrator";

    /// <summary>The tag that names the writer: <c>migration</c>, <c>host</c>, <c>reconciler</c>.</summary>
    public const string WriterTag = "writer";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Seconds from a write's Persist to its handler.</summary>
    public static Histogram<double> WriteDuration { get; } =
        Meter.CreateHistogram<double>("orchestrator.journal.write.duration", "s", "Seconds from a journal write to its confirmation");

    /// <summary>Writes the journal did not confirm within the writer's limit (the watchdog restarted the writer).</summary>
    public static Counter<long> WriteTimeouts { get; } =
        Meter.CreateCounter<long>("orchestrator.journal.write.timeouts", "{write}", "Journal writes not confirmed within the limit");
}
