using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Orchestrator.Domain.Ids;

/// <summary>
/// The incarnation number of a migration's coordinator (≥ 0). Every recovery advances it; every device
/// command carries it, and a PF rejects a command whose epoch is older than the newest it has seen for that
/// VF and migration (fencing).
/// </summary>
public readonly record struct Epoch : IComparable<Epoch>, IParsable<Epoch>
{
    private Epoch(long value) => Value = value;

    /// <summary>The first epoch of a migration.</summary>
    public static Epoch Zero => default;

    /// <summary>The number, ≥ 0.</summary>
    public long Value { get; }

    /// <summary>An epoch from its number; throws <see cref="ArgumentOutOfRangeException"/> when negative.</summary>
    public static Epoch Of(long value) =>
        value >= 0 ? new Epoch(value) : throw new ArgumentOutOfRangeException(nameof(value), value, $"epoch {value} is invalid: expected ≥ 0");

    /// <summary>The next epoch.</summary>
    public Epoch Next() => new(checked(Value + 1));

    /// <summary>Parses a decimal number ≥ 0; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static Epoch Parse(string text) =>
        TryParse(text, out var epoch, out var error) ? epoch : throw new FormatException(error);

    /// <summary>Parses a decimal number ≥ 0; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Epoch epoch, out string error)
    {
        epoch = default;
        if (text is null
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || (text.Length > 1 && text[0] == '0'))
        {
            error = $"epoch '{text}' is invalid: expected a decimal number ≥ 0 without leading zeros";
            return false;
        }

        epoch = new Epoch(value);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static Epoch Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out Epoch result) =>
        TryParse(s, out result, out _);

    /// <inheritdoc />
    public int CompareTo(Epoch other) => Value.CompareTo(other.Value);

    /// <summary>Whether <paramref name="left"/> is older than <paramref name="right"/>.</summary>
    public static bool operator <(Epoch left, Epoch right) => left.Value < right.Value;

    /// <summary>Whether <paramref name="left"/> is newer than <paramref name="right"/>.</summary>
    public static bool operator >(Epoch left, Epoch right) => left.Value > right.Value;

    /// <summary>Whether <paramref name="left"/> is not newer than <paramref name="right"/>.</summary>
    public static bool operator <=(Epoch left, Epoch right) => left.Value <= right.Value;

    /// <summary>Whether <paramref name="left"/> is not older than <paramref name="right"/>.</summary>
    public static bool operator >=(Epoch left, Epoch right) => left.Value >= right.Value;

    /// <summary>The decimal number, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
