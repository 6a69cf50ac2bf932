using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>One reason placement did not use a host or PF, or refused the request (host and PF null).</summary>
/// <param name="Code">The reason.</param>
/// <param name="Detail">The reason for a human, with the values compared.</param>
/// <param name="Host">The rejected host, or null for the request itself.</param>
/// <param name="Pf">The rejected PF, or null for a whole host.</param>
/// <param name="SourceVf">The source VF this rejection is about, when it is about one.</param>
public sealed record PlacementRejection(
    PlacementRejectionReasonCode Code,
    string Detail,
    HostId? Host = null,
    PfId? Pf = null,
    VfId? SourceVf = null)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{(Pf?.ToString() ?? Host?.ToString() ?? "request")}{(SourceVf is { } vf ? $" for {vf}" : string.Empty)}: {Code}: {Detail}";
}
