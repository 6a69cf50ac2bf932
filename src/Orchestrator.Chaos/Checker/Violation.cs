namespace Orchestrator.Chaos.Checker;

/// <summary>One breach of an invariant.</summary>
/// <param name="Invariant">1 to 6 as numbered in DESIGN.md §4, 8 (vf-ownership) or 9 (never-on-none); see <c>CheckRun</c>.</param>
/// <param name="Description">What happened, naming the migration, workload, VF, PF as applicable.</param>
/// <param name="Migration">The migration involved, if any.</param>
/// <param name="Workload">The workload involved, if any.</param>
/// <param name="Vf">The VF involved, if any.</param>
/// <param name="RecordIndex">Index, in the merged order, of the record that shows the breach; -1 when none does (end of history).</param>
/// <param name="RelatedRecordIndex">Index of a second record the breach depends on (the newer epoch, the save), or null.</param>
public sealed record Violation(
    int Invariant,
    string Description,
    string? Migration,
    string? Workload,
    string? Vf,
    int RecordIndex,
    int? RelatedRecordIndex = null);
