using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Migrations;

/// <summary>Marker of the events in <see cref="MigrationEvents"/>: every one carries its epoch and time.</summary>
public interface IMigrationEvent : IWithMigrationId
{
    /// <summary>The coordinator incarnation that decided it.</summary>
    Epoch Epoch { get; }

    /// <summary>When it was decided (the <c>now</c> given to Decide).</summary>
    DateTimeOffset At { get; }
}
