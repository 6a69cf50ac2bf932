using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>
/// Proves DESIGN.md §4's invariants over a recorded history (one or more merged files). Pure: the only time it
/// knows is the records' <c>t</c>. The records need not be sorted; the checker orders them by (t, node, seq) and
/// every record index in the report refers to that order.
/// </summary>
public static class HistoryChecker
{
    /// <summary>Checks the five invariants and counts what happened.</summary>
    public static CheckReport Check(IEnumerable<HistoryRecord> records, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        return new CheckRun(HistoryReader.Merge(records), options ?? CheckOptions.Default).Run();
    }
}
