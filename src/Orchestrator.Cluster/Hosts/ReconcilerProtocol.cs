using Orchestrator.Domain.Reconciliation;

namespace Orchestrator.Cluster.Hosts;

/// <summary>Messages of a host's reconciler (sent to the host actor, which forwards them).</summary>
public static class ReconcilerProtocol
{
    /// <summary>Compare the devices with the migrations now and clean what ended migrations left; answers a <see cref="ReconcileReport"/>.</summary>
    /// <param name="Trigger">Why it runs (<c>api</c>, <c>start-up</c>, <c>periodic</c>, <c>member-removed</c>, <c>migration-recovered</c>).</param>
    /// <param name="DryRun">
    /// Compare only: the report's <see cref="ReconcileReport.Planned"/> says what a run would clean; nothing is cleaned,
    /// recorded or kept as the last run.
    /// </param>
    public sealed record ReconcileNow(string Trigger, bool DryRun = false) : IOrchestratorMessage;

    /// <summary>Ask for the last run's report without running (answers a <see cref="ReconcileReport"/>).</summary>
    public sealed record GetReconcileReport : IOrchestratorMessage
    {
        public static GetReconcileReport Instance { get; } = new();
    }

    /// <summary>One clean-up done: also published on the node's EventStream as it happens.</summary>
    public sealed record CleanedLeftover(HostId Host, LeftoverAction Action, PfId? Pf, VfId? Vf, MigrationId? Migration, string Reason, DateTimeOffset At)
        : IOrchestratorMessage;

    /// <summary>What a run would clean (a dry run's answer): the action, on which PF or VF, for which migration, and why.</summary>
    public sealed record PlannedCleanup(LeftoverAction Action, PfId? Pf, VfId? Vf, MigrationId? Migration, string Reason) : IOrchestratorMessage;

    /// <summary>Something that looked like a leftover and was left alone, and why (a live migration, an unknown one, a PF refusal).</summary>
    public sealed record LeftAlone(PfId? Pf, VfId? Vf, MigrationId? Migration, string Reason) : IOrchestratorMessage;

    /// <summary>
    /// The result of one run. <paramref name="Skipped"/> says why a run compared nothing (the migration index was not
    /// readable from a majority, a PF did not answer): a reconciler that cannot see does not clean.
    /// </summary>
    public sealed record ReconcileReport(
        HostId Host,
        string Trigger,
        int CheckedVfs,
        IReadOnlyList<CleanedLeftover> Cleaned,
        IReadOnlyList<LeftAlone> Left,
        DateTimeOffset At,
        string? Skipped = null,
        IReadOnlyList<PlannedCleanup>? Planned = null) : IOrchestratorMessage
    {
        /// <summary>True for a dry run's report: <see cref="Planned"/> instead of <see cref="Cleaned"/>.</summary>
        public bool DryRun => Planned is not null;
    }
}
