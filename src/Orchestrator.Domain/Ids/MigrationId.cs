using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Domain.Ids;

/// <summary>
/// A migration: any lowercase <c>[a-z0-9-]{3,64}</c> (a caller's idempotency key fits), or as generated here
/// <c>m-</c> + 26 lowercase Crockford base32 characters (ULID-like; time-ordered when made with a time).
/// The persistence id of its coordinator is <c>migration-{id}</c>.
/// </summary>
public readonly record struct MigrationId : IComparable<MigrationId>, IParsable<MigrationId>
{
    /// <summary>The prefix of generated ids.</summary>
    public const string GeneratedPrefix = "m-";

    private const string Crockford = "0123456789abcdefghjkmnpqrstvwxyz";

    private readonly string? _value;

    private MigrationId(string value) => _value = value;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <(MigrationId left, MigrationId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >(MigrationId left, MigrationId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <=(MigrationId left, MigrationId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >=(MigrationId left, MigrationId right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>A new id, 130 bits drawn from <paramref name="random"/> (the caller owns the randomness).</summary>
    public static MigrationId New(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[17];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    /// <summary>A new id that encodes <paramref name="source"/> (128 bits) in 26 characters.</summary>
    public static MigrationId New(Guid source)
    {
        Span<byte> bytes = stackalloc byte[17];
        source.TryWriteBytes(bytes[1..]);
        return FromBytes(bytes);
    }

    /// <summary>
    /// A ULID-like id: 48 bits of milliseconds since the Unix epoch (10 characters, so ids sort by
    /// <paramref name="now"/>) then 80 bits from <paramref name="random"/> (16 characters).
    /// </summary>
    public static MigrationId New(DateTimeOffset now, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var chars = new char[26];
        var ms = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds()) & 0xFFFF_FFFF_FFFFUL;
        for (var i = 9; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(ms & 31)];
            ms >>= 5;
        }

        Span<byte> tail = stackalloc byte[10];
        random.NextBytes(tail);
        Encode(tail, chars.AsSpan(10));
        return new MigrationId(GeneratedPrefix + new string(chars));
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static MigrationId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out MigrationId id, out string error)
    {
        id = default;
        if (text is null || !IdPatterns.Migration().IsMatch(text))
        {
            error = $"migration id '{text}' is invalid: expected lowercase [a-z0-9-]{{3,64}}, for example m-01j9zx3k8e4q7w2r5t6y8u9i0p";
            return false;
        }

        id = new MigrationId(text);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static MigrationId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out MigrationId result) =>
        TryParse(s, out result, out _);

    /// <inheritdoc />
    public int CompareTo(MigrationId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => Value;

    // 17 bytes, of which the low 130 bits are used: 26 characters of 5 bits.
    private static MigrationId FromBytes(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[26];
        Encode(bytes, chars);
        return new MigrationId(GeneratedPrefix + new string(chars));
    }

    // Writes the low (5 * output.Length) bits of the big-endian number in bytes as base32, most significant first.
    private static void Encode(ReadOnlySpan<byte> bytes, Span<char> output)
    {
        var bitLength = bytes.Length * 8;
        for (var c = 0; c < output.Length; c++)
        {
            var value = 0;
            var firstBit = bitLength - ((output.Length - c) * 5);
            for (var b = 0; b < 5; b++)
            {
                var bit = firstBit + b;
                var set = (bytes[bit / 8] >> (7 - (bit % 8)) & 1) == 1;
                value = (value << 1) | (set ? 1 : 0);
            }

            output[c] = Crockford[value];
        }
    }
}
