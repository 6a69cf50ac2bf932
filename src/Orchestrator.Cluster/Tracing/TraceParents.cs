namespace Orchestrator.Cluster.Tracing;

/// <summary>
/// The trace context of the last traced command of each recent migration on a PF, for the span of the step that runs
/// it (a queued command starts later, from the queue). Bounded: the oldest is forgotten past <see cref="Capacity"/>,
/// and a forgotten one only makes its next span a root of the migration's trace.
/// </summary>
internal sealed class TraceParents
{
    public const int Capacity = 256;

    private readonly BoundedMap<MigrationId, string> _parents = new(Capacity);

    public void Remember(MigrationId migration, string traceParent) => _parents.Set(migration, traceParent);

    public string? Of(MigrationId migration) => _parents.GetValueOrDefault(migration);
}
