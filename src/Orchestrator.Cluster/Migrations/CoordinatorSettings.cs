using Akka.Actor;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Migrations;

/// <summary>What every migration coordinator on a node shares.</summary>
public sealed record CoordinatorSettings
{
    /// <summary>The placement authority (a cluster singleton proxy).</summary>
    public required IActorRef Placement { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How long a device step may go without an answer before it counts as failed.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a new migration waits for the placement authority to hold its workload before it answers "try again".</summary>
    public TimeSpan ClaimTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a journal write may stay unconfirmed before the coordinator restarts and recovers from the journal
    /// (see <see cref="Persistence.JournalWatchdog"/>).
    /// </summary>
    public TimeSpan JournalTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often timeouts are evaluated.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a migration waiting for admission or inventory asks again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long an ended migration stays in memory before it passivates (it recovers on demand).</summary>
    public TimeSpan PassivateAfterEnd { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a coordinator that holds no migration (a query for an unknown id, a refused or unanswered claim) stays
    /// before it passivates, so that a wrong id does not stay a remembered entity forever.
    /// </summary>
    public TimeSpan PassivateUnstarted { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Called with the migration's view each time its protocol state or epoch changes (history, metrics).</summary>
    public Action<MigrationView>? OnStateChanged { get; init; }

    /// <summary>Every problem, each naming the setting and its value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingChecks.Positive(errors, "CoordinatorSettings.StepTimeout (runtime.step-timeout)", StepTimeout);
        SettingChecks.Positive(errors, "CoordinatorSettings.ClaimTimeout", ClaimTimeout);
        SettingChecks.Positive(errors, "CoordinatorSettings.JournalTimeout", JournalTimeout);
        SettingChecks.Positive(errors, "CoordinatorSettings.TickInterval", TickInterval);
        SettingChecks.Positive(errors, "CoordinatorSettings.RetryInterval", RetryInterval);
        SettingChecks.NotNegative(errors, "CoordinatorSettings.PassivateAfterEnd", PassivateAfterEnd);
        SettingChecks.NotNegative(errors, "CoordinatorSettings.PassivateUnstarted", PassivateUnstarted);
        return errors;
    }
}
