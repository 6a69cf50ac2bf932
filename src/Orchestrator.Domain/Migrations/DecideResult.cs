namespace Orchestrator.Domain.Migrations;

/// <summary>What Decide answered: accepted with the events to persist (possibly none), or rejected with a reason.</summary>
/// <param name="Accepted">Whether the command was accepted.</param>
/// <param name="Events">The events to persist, then apply, in order; empty when rejected.</param>
/// <param name="Code">Why it was rejected; null when accepted.</param>
/// <param name="Reason">The reason for a human; empty when accepted.</param>
public sealed record DecideResult(bool Accepted, IReadOnlyList<IMigrationEvent> Events, RejectionCode? Code, string Reason)
{
    /// <summary>Accepted with <paramref name="events"/>.</summary>
    public static DecideResult Accept(IReadOnlyList<IMigrationEvent> events) => new(true, events, null, string.Empty);

    /// <summary>Accepted, nothing to persist.</summary>
    public static DecideResult Nothing { get; } = new(true, [], null, string.Empty);

    /// <summary>Rejected.</summary>
    public static DecideResult Reject(RejectionCode code, string reason) => new(false, [], code, reason);
}
