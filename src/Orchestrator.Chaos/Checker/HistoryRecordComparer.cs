using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>The merge order of histories: by time <c>t</c>, then node (ordinal), then <c>seq</c>.</summary>
public sealed class HistoryRecordComparer : IComparer<HistoryRecord>
{
    /// <summary>The single instance.</summary>
    public static HistoryRecordComparer Instance { get; } = new();

    private HistoryRecordComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(HistoryRecord? x, HistoryRecord? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var byTime = x.Time.UtcTicks.CompareTo(y.Time.UtcTicks);
        if (byTime != 0)
        {
            return byTime;
        }

        var byNode = string.CompareOrdinal(x.Node, y.Node);
        return byNode != 0 ? byNode : x.Seq.CompareTo(y.Seq);
    }
}
