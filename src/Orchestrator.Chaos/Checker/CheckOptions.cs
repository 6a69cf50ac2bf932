namespace Orchestrator.Chaos.Checker;

/// <summary>Knobs of <see cref="HistoryChecker"/>; the defaults are the strict reading of DESIGN.md §4.</summary>
public sealed record CheckOptions
{
    /// <summary>The defaults.</summary>
    public static CheckOptions Default { get; } = new();

    /// <summary>
    /// Invariant 1: records of different processes are ordered by their wall clocks, which on one machine agree to
    /// within scheduling noise. A two-host overlap strictly shorter than this is forgiven as clock noise, and the
    /// "exactly one host after the end" check looks this long past the end record. Default zero: every overlap,
    /// even one of zero length between two records with the same <c>t</c>, is a violation.
    /// </summary>
    public TimeSpan ClockTolerance { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Invariant 2: a migration must end within this much time after the later of its request and the last fault
    /// healing. A migration still open when the history ends is always a violation.
    /// </summary>
    public TimeSpan SettleBound { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Relevant records shown before the violating record in an excerpt.</summary>
    public int ExcerptBefore { get; init; } = 6;

    /// <summary>Relevant records shown after it.</summary>
    public int ExcerptAfter { get; init; } = 4;

    /// <summary>How many violation descriptions each verdict lists (the count is always exact).</summary>
    public int MaxListedViolations { get; init; } = 20;
}
