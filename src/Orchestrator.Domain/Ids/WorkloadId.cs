using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Domain.Ids;

/// <summary>A workload (a VM) that holds VFs: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,127}</c>, case-sensitive.</summary>
public readonly record struct WorkloadId : IComparable<WorkloadId>, IParsable<WorkloadId>
{
    private readonly string? _value;

    private WorkloadId(string value) => _value = value;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <(WorkloadId left, WorkloadId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >(WorkloadId left, WorkloadId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <=(WorkloadId left, WorkloadId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >=(WorkloadId left, WorkloadId right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static WorkloadId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out WorkloadId id, out string error)
    {
        id = default;
        if (text is null || !IdPatterns.Workload().IsMatch(text))
        {
            error = $"workload id '{text}' is invalid: expected [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}";
            return false;
        }

        id = new WorkloadId(text);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static WorkloadId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out WorkloadId result) =>
        TryParse(s, out result, out _);

    /// <inheritdoc />
    public int CompareTo(WorkloadId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => Value;
}
