namespace Orchestrator.Domain.Placement;

/// <summary>
/// The outcome of <see cref="Placer.Place"/>: the target when one fits, and every rejection either way (each rejected
/// host or PF with its reason), so a plan/dry-run API can show why the other hosts were not chosen.
/// </summary>
/// <param name="Target">The chosen target, or null.</param>
/// <param name="Rejections">Every rejected request, host and PF, with the reason.</param>
public sealed record PlacementResult(PlacementTarget? Target, IReadOnlyList<PlacementRejection> Rejections)
{
    /// <summary>Whether a target was chosen.</summary>
    public bool IsPlaced => Target is not null;

    /// <summary>One line per rejection, for a failure reason.</summary>
    public string Explain() =>
        Rejections.Count == 0 ? "no candidate host" : string.Join("; ", Rejections.Select(r => r.ToString()));
}
