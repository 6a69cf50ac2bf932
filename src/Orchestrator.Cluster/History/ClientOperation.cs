namespace Orchestrator.Cluster.History;

/// <summary><c>client-op</c>: one call of the client or harness against the API, written when it ended.</summary>
public sealed record ClientOperation : HistoryRecord
{
    /// <summary>The verb: <c>migrate</c>, <c>abort</c>, <c>switchover</c>, <c>evacuate</c>, <c>cordon</c>, ...</summary>
    public required string Op { get; init; }

    /// <summary>Workload id, if the operation names one.</summary>
    public string? Workload { get; init; }

    /// <summary>Migration id, if known (for <c>migrate</c>: the id the API answered).</summary>
    public string? Migration { get; init; }

    /// <summary>Host id, if the operation names one (<c>evacuate</c>, <c>cordon</c>).</summary>
    public string? Host { get; init; }

    /// <summary><c>ok</c>, <c>failed</c> or <c>indeterminate</c>.</summary>
    public required ClientOutcome Outcome { get; init; }

    /// <summary>When the call was sent.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When it answered or gave up.</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Free text: status code, error, ...</summary>
    public string? Detail { get; init; }
}
