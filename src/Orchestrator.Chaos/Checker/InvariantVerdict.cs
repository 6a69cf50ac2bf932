namespace Orchestrator.Chaos.Checker;

/// <summary>The result of checking one invariant.</summary>
/// <param name="Number">1 to 6 as numbered in DESIGN.md §4, 8 (vf-ownership) or 9 (never-on-none); 7 (read-your-writes) is not judged from histories.</param>
/// <param name="Name">Short name: <c>single-host</c>, <c>settles</c>, <c>no-leaks</c>, <c>epoch-fencing</c>, <c>state-integrity</c>, <c>one-per-workload</c>, <c>vf-ownership</c>, <c>never-on-none</c>.</param>
/// <param name="Statement">The invariant in words.</param>
/// <param name="Passed">True when there is no violation.</param>
/// <param name="ViolationCount">Exact number of violations.</param>
/// <param name="FirstViolation">The earliest violation in history order, or null.</param>
/// <param name="Excerpt">History lines around the first violation (<c>&gt;</c> marks its record), relevant records only.</param>
/// <param name="Violations">Descriptions of the violations in history order, at most <see cref="CheckOptions.MaxListedViolations"/>.</param>
public sealed record InvariantVerdict(
    int Number,
    string Name,
    string Statement,
    bool Passed,
    int ViolationCount,
    Violation? FirstViolation,
    IReadOnlyList<string> Excerpt,
    IReadOnlyList<string> Violations);
