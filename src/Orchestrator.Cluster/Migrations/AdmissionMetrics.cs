using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Persistence;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// How long migrations wait for admission (the cluster-wide and per-host limits), measured by the placement authority
/// from a migration's first request for admission to its grant; exported by the node the authority runs on. A wait that
/// began before the authority moved to this node is not measured (the queue survives, its timestamps do not).
/// </summary>
public static class AdmissionMetrics
{
    /// <summary>The migration measured (for tests and traces; the Prometheus export drops it: one series, not one per migration).</summary>
    public const string MigrationTag = "migration";

    private static readonly Meter Meter = new(JournalMetrics.MeterName);

    /// <summary>Seconds from the request for admission to the grant.</summary>
    public static Histogram<double> Wait { get; } =
        Meter.CreateHistogram<double>("orchestrator.admission.wait", "s", "Seconds a migration waited for admission");
}
