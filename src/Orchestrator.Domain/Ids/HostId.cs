using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Domain.Ids;

/// <summary>
/// A physical host: lowercase <c>[a-z0-9][a-z0-9-]{0,62}</c> (a DNS label), for example <c>host-a</c>.
/// </summary>
public readonly record struct HostId : IComparable<HostId>, IParsable<HostId>
{
    private readonly string? _value;

    private HostId(string value) => _value = value;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <(HostId left, HostId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >(HostId left, HostId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <=(HostId left, HostId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >=(HostId left, HostId right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static HostId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out HostId id, out string error)
    {
        id = default;
        if (text is null || !IdPatterns.Host().IsMatch(text))
        {
            error = $"host id '{text}' is invalid: expected lowercase [a-z0-9][a-z0-9-]{{0,62}}";
            return false;
        }

        id = new HostId(text);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static HostId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out HostId result) =>
        TryParse(s, out result, out _);

    /// <inheritdoc />
    public int CompareTo(HostId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => Value;
}
