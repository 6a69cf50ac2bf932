using Orchestrator.Cluster.History;
using static Orchestrator.Cluster.Hosts.ReconcilerProtocol;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>GET|POST /hosts/{id}/reconcile</c>: one run of the host's reconciler. <c>skipped</c> says why a run compared
/// nothing (the migration index was not readable from a majority, a PF did not answer). A dry run
/// (<c>?dryRun=true</c>) cleans nothing: <c>dryRun</c> is true and <c>planned</c> lists what a run would clean.
/// </summary>
public sealed record ReconcileResource(
    string Host,
    string Trigger,
    int CheckedVfs,
    IReadOnlyList<CleanedLeftoverResource> Cleaned,
    IReadOnlyList<LeftAloneResource> Left,
    DateTimeOffset At,
    string? Skipped,
    bool DryRun = false,
    IReadOnlyList<PlannedCleanupResource>? Planned = null)
{
    public static ReconcileResource From(ReconcileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(
            report.Host.Value,
            report.Trigger,
            report.CheckedVfs,
            [.. report.Cleaned.Select(CleanedLeftoverResource.From)],
            [.. report.Left.Select(l => new LeftAloneResource(l.Vf?.ToString(), l.Pf?.ToString(), l.Migration?.ToString(), l.Reason))],
            report.At,
            report.Skipped,
            report.DryRun,
            report.Planned?.Select(p => new PlannedCleanupResource(p.Vf?.ToString(), p.Pf?.ToString(), p.Migration?.ToString(), HistoryDeviceObserver.ActionName(p.Action), p.Reason)).ToList());
    }
}

/// <summary>What a run would clean (a dry run): <c>action</c> as in <see cref="CleanedLeftoverResource"/>.</summary>
public sealed record PlannedCleanupResource(string? Vf, string? Pf, string? Migration, string Action, string Reason);

/// <summary>One clean-up: <c>action</c> is <c>destroy-target</c>, <c>release-source</c>, <c>resume-source</c>, <c>free-slot</c> or <c>release-reservation</c>.</summary>
public sealed record CleanedLeftoverResource(string Host, string? Vf, string? Pf, string? Migration, string Action, string Reason, DateTimeOffset At)
{
    public static CleanedLeftoverResource From(CleanedLeftover cleaned)
    {
        ArgumentNullException.ThrowIfNull(cleaned);
        return new(cleaned.Host.Value, cleaned.Vf?.ToString(), cleaned.Pf?.ToString(), cleaned.Migration?.ToString(), HistoryDeviceObserver.ActionName(cleaned.Action), cleaned.Reason, cleaned.At);
    }
}

/// <summary>Something that looked like a leftover and was left alone, and why.</summary>
public sealed record LeftAloneResource(string? Vf, string? Pf, string? Migration, string Reason);
