namespace Orchestrator.Chaos.Checker;

/// <summary>A line the reader left out: a torn last line of a file (no newline, not parseable).</summary>
/// <param name="Path">The file.</param>
/// <param name="LineNumber">1-based line number.</param>
/// <param name="Text">The line, cut to 200 characters.</param>
/// <param name="Reason">Why it did not parse.</param>
public sealed record SkippedLine(string Path, int LineNumber, string Text, string Reason);
