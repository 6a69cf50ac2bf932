using System.Globalization;
using System.Text;
using System.Text.Json;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>What <see cref="HistoryChecker"/> found: counts over the history and one verdict per invariant.</summary>
public sealed record CheckReport
{
    private static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    /// <summary>True when every invariant passed.</summary>
    public bool IsSuccess => Invariants.All(v => v.Passed);

    /// <summary>Number of records checked.</summary>
    public required int RecordCount { get; init; }

    /// <summary>Time of the first record, or null for an empty history.</summary>
    public DateTimeOffset? FirstTime { get; init; }

    /// <summary>Time of the last record (the end of the history), or null.</summary>
    public DateTimeOffset? LastTime { get; init; }

    /// <summary>When the last fault healed, or null when there was none (or none healed).</summary>
    public DateTimeOffset? LastFaultHealed { get; init; }

    /// <summary>Records per writing node.</summary>
    public required IReadOnlyDictionary<string, int> RecordsPerNode { get; init; }

    /// <summary>Client operations: op → outcome (<c>ok</c>, <c>failed</c>, <c>indeterminate</c>) → count.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Operations { get; init; }

    /// <summary>Faults by kind (a fault written twice under one id counts once).</summary>
    public required IReadOnlyDictionary<string, int> Faults { get; init; }

    /// <summary>Migrations by final state (the end state, else the last state seen; <c>NeverAppeared</c> for an accepted request with no record).</summary>
    public required IReadOnlyDictionary<string, int> Migrations { get; init; }

    /// <summary>The five verdicts, in invariant order.</summary>
    public required IReadOnlyList<InvariantVerdict> Invariants { get; init; }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The report for people: summary lines, then each verdict with the first violation and its excerpt.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var failed = Invariants.Count(v => !v.Passed);
        text.Append(CultureInfo.InvariantCulture, $"history check: {(IsSuccess ? "PASS" : "FAIL")} ({failed} of {Invariants.Count} invariants failed)\n");
        text.Append(CultureInfo.InvariantCulture, $"records: {RecordCount}");
        if (FirstTime is { } first && LastTime is { } last)
        {
            text.Append(CultureInfo.InvariantCulture, $" from {UtcTimestampConverter.ToText(first)} to {UtcTimestampConverter.ToText(last)}");
        }

        text.Append('\n');
        text.Append("nodes: ").Append(Join(RecordsPerNode)).Append('\n');
        text.Append("operations: ")
            .Append(Operations.Count == 0 ? "none" : string.Join("; ", Operations.Select(o => $"{o.Key} {Join(o.Value)}")))
            .Append('\n');
        text.Append("faults: ").Append(Join(Faults));
        if (LastFaultHealed is { } healed)
        {
            text.Append("; last healed ").Append(UtcTimestampConverter.ToText(healed));
        }

        text.Append('\n');
        text.Append("migrations: ").Append(Join(Migrations)).Append('\n');
        foreach (var verdict in Invariants)
        {
            text.Append(CultureInfo.InvariantCulture, $"[{(verdict.Passed ? "PASS" : "FAIL")}] {verdict.Number} {verdict.Name}: {verdict.Statement}");
            if (verdict.Passed)
            {
                text.Append('\n');
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $" -- {verdict.ViolationCount} violation(s)\n");
            if (verdict.FirstViolation is { } v)
            {
                text.Append("    first: ").Append(v.Description).Append('\n');
            }

            foreach (var line in verdict.Excerpt)
            {
                text.Append("    ").Append(line).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <inheritdoc cref="ToText" />
    public override string ToString() => ToText();

    private static string Join(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"));

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
        };
        options.Converters.Add(new UtcTimestampConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
