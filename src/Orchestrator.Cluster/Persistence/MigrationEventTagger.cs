using System.Collections.Immutable;
using Akka.Persistence.Journal;
using Orchestrator.Domain.Migrations;

namespace Orchestrator.Cluster.Persistence;

/// <summary>
/// Tags every migration event with <see cref="Tag"/> as it is written, so that the journal's ordering of them can be
/// read back (<see cref="Migrations.MigrationJournal"/>): the durable, monotonic ids of <c>GET /events</c>. Only the
/// tag table changes; the event's bytes and manifest stay as they were.
/// </summary>
public sealed class MigrationEventTagger : IWriteEventAdapter
{
    /// <summary>The tag of every <see cref="IMigrationEvent"/>.</summary>
    public const string Tag = "migration";

    private static readonly ImmutableHashSet<string> Tags = [Tag];

    /// <inheritdoc/>
    public string Manifest(object evt) => string.Empty;

    /// <inheritdoc/>
    public object ToJournal(object evt) => evt is IMigrationEvent ? new Tagged(evt, Tags) : evt;
}
