using Akka.Actor;
using Orchestrator.Cluster.Pfs;

namespace Orchestrator.Cluster.Hosts;

/// <summary>How a host's reconciler runs and whom it asks.</summary>
public sealed record ReconcilerSettings
{
    /// <summary>The default of <c>runtime.reconcile-interval</c>.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    /// <summary>How often it runs besides start-up, recoveries and the API (<c>runtime.reconcile-interval</c>).</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>How long after the PF actors start the first run waits (lets the replicated index arrive).</summary>
    public TimeSpan StartupDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long after a recovery signal (member removed, a migration recovered) it runs.</summary>
    public TimeSpan TriggerDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A live migration whose index entry has not changed for this long is asked directly (the index may lag).</summary>
    public TimeSpan UnclearAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one ask (a PF, the index read from a majority, the ledger, a coordinator) may take.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a journal write may stay unconfirmed before the reconciler restarts and recovers.</summary>
    public TimeSpan JournalTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many of its last clean-ups the reconciler keeps, in memory for its report and in its journal: older events are
    /// deleted once written, so the journal and the recovery stay this size however long the host runs.
    /// </summary>
    public int RecentKept { get; init; } = 50;

    /// <summary>The placement authority (proxy): its ledger of reservations and admissions.</summary>
    public IActorRef Placement { get; init; } = ActorRefs.Nobody;

    /// <summary>The migration shard region (or proxy): asked only about migrations the index already knows.</summary>
    public IActorRef Migrations { get; init; } = ActorRefs.Nobody;

    /// <summary>The clock of reports, events and the staleness of index entries.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where clean-ups are recorded besides the journal (the node's history).</summary>
    public IDeviceObserver Observer { get; init; } = NullDeviceObserver.Instance;

    /// <summary>Every problem with the settings, naming the key and the value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interval <= TimeSpan.Zero)
        {
            errors.Add($"runtime.reconcile-interval: '{Interval}' must be positive");
        }

        if (StartupDelay < TimeSpan.Zero || TriggerDelay < TimeSpan.Zero || UnclearAfter < TimeSpan.Zero || AskTimeout <= TimeSpan.Zero || JournalTimeout <= TimeSpan.Zero)
        {
            errors.Add($"reconciler delays must not be negative (start-up {StartupDelay}, trigger {TriggerDelay}, unclear-after {UnclearAfter}, ask {AskTimeout}, journal {JournalTimeout})");
        }

        if (RecentKept < 1)
        {
            errors.Add($"reconciler: RecentKept = {RecentKept} must be at least 1");
        }

        return errors;
    }
}
