using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Migrations;

/// <summary>
/// What the executor must do now for a migration, as data (<see cref="MigrationState.NextAction"/>). Every action
/// carries the epoch so PF actors can fence stale commands, and is safe to repeat: after a crash the same action is
/// re-issued with the new epoch. <see cref="Attempt"/> &gt; 0 means a retry; wait <see cref="RetryAfter"/> first.
/// The concrete actions are in <see cref="MigrationActions"/>.
/// </summary>
public abstract record MigrationAction(MigrationId MigrationId, Epoch Epoch) : IWithMigrationId
{
    /// <summary>The step this action runs; a failure is reported with it.</summary>
    public abstract MigrationStep Step { get; }

    /// <summary>0 for the first try, then 1, 2, … for retries.</summary>
    public int Attempt { get; init; }

    /// <summary>How long to wait before running a retry.</summary>
    public TimeSpan RetryAfter { get; init; }
}
