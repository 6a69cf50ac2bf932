namespace Orchestrator.Cluster.History;

/// <summary><c>client-op</c>: one call of the client or harness against the API, written when it ended.</summary>
public sealed record ClientOperation : HistoryRecord
{
    /// <summary>
    /// The verb: <c>migrate</c> (or a variant of it named <c>migrate-*</c>: <c>migrate-duplicate</c>,
    /// <c>migrate-pingpong</c>, <c>migrate-overlap</c>), <c>abort</c>, <c>switchover</c>, <c>evacuate</c>, <c>cordon</c>,
    /// <c>create-vf</c>, <c>delete-vf</c>, ...
    /// </summary>
    public required string Op { get; init; }

    /// <summary>Workload id, if the operation names one.</summary>
    public string? Workload { get; init; }

    /// <summary>Migration id, if known (for <c>migrate</c> and its variants: the id the API answered).</summary>
    public string? Migration { get; init; }

    /// <summary>Host id, if the operation names one (<c>evacuate</c>, <c>cordon</c>, a <c>migrate</c> target).</summary>
    public string? Host { get; init; }

    /// <summary>PF id, if the operation names one (<c>create-vf</c>).</summary>
    public string? Pf { get; init; }

    /// <summary>VF id, if the operation names one: the VF <c>delete-vf</c> deletes, the VF <c>create-vf</c> created or asked for.</summary>
    public string? Vf { get; init; }

    /// <summary>For <c>delete-vf</c>: whether <c>force=true</c> was sent; absent (null) for every other operation.</summary>
    public bool? Force { get; init; }

    /// <summary><c>ok</c>, <c>failed</c> or <c>indeterminate</c>.</summary>
    public required ClientOutcome Outcome { get; init; }

    /// <summary>When the call was sent.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When it answered or gave up.</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Free text: status code, error, ...</summary>
    public string? Detail { get; init; }

    /// <summary>True for <c>migrate</c> and its variants <c>migrate-*</c>: a request that may start a migration.</summary>
    public static bool IsMigrate(string op) => op == "migrate" || op.StartsWith("migrate-", StringComparison.Ordinal);
}
