using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>Records of one or more history files, merged in <see cref="HistoryRecordComparer"/> order, and the torn lines left out.</summary>
/// <param name="Records">All records, ordered by (t, node, seq).</param>
/// <param name="Skipped">Torn last lines that were left out, one per file at most.</param>
public sealed record HistoryReadResult(IReadOnlyList<HistoryRecord> Records, IReadOnlyList<SkippedLine> Skipped);
