using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Persistence;

namespace Orchestrator.Cluster.Hosts;

/// <summary>The reconcilers' clean-ups (not dry runs), counted where each host's reconciler runs, by action.</summary>
public static class ReconcilerMetrics
{
    /// <summary>The tag that names the clean-up action (<c>DestroyTarget</c>, <c>FreeSlot</c>, … as the API names them).</summary>
    public const string ActionTag = "action";

    private static readonly Meter Meter = new(JournalMetrics.MeterName);

    /// <summary>Leftovers cleaned.</summary>
    public static Counter<long> Cleaned { get; } =
        Meter.CreateCounter<long>("orchestrator.reconciler.cleaned", "{leftover}", "Leftovers of ended migrations the reconcilers cleaned");
}
