namespace Orchestrator.Node.Api;

/// <summary>The placement answer: <c>{candidates: [{host, pf}], rejected: [{host, pf, reason}]}</c>; the first candidate is the one a migration would get.</summary>
public sealed record PlacementResource(IReadOnlyList<PlacementCandidate> Candidates, IReadOnlyList<PlacementRejected> Rejected);

/// <summary>A target PF that fits, for a source VF, with the target VF a migration would create.</summary>
public sealed record PlacementCandidate(string Host, string Pf, string SourceVf, string TargetVf);

/// <summary>A rejected host or PF (both null: the request itself), the reason code and a detail with the values compared.</summary>
public sealed record PlacementRejected(string? Host, string? Pf, string Reason, string Detail, string? SourceVf);
