using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Orchestrator.Domain.Ids;

/// <summary>A VF: its PF and its index there (the kernel's vf_id, ≥ 0), written <c>host-a/0000:3b:00.0/vf3</c>.</summary>
public readonly record struct VfId : IComparable<VfId>, IParsable<VfId>
{
    /// <summary>The largest VF index (sriov_totalvfs is a 16-bit field).</summary>
    public const int MaxIndex = 65534;

    private VfId(PfId pf, int index)
    {
        Pf = pf;
        Index = index;
    }

    /// <summary>The PF that owns the VF.</summary>
    public PfId Pf { get; }

    /// <summary>The VF index on its PF.</summary>
    public int Index { get; }

    /// <summary>The host the VF sits in.</summary>
    public HostId Host => Pf.Host;

    /// <summary>Builds a VF id; throws <see cref="FormatException"/> naming a bad index.</summary>
    public static VfId Of(PfId pf, int index) =>
        index is >= 0 and <= MaxIndex
            ? new VfId(pf, index)
            : throw new FormatException($"VF index {index} on PF '{pf}' is invalid: expected 0..{MaxIndex}");

    /// <summary>Parses <c>host/dddd:bb:dd.f/vfN</c>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static VfId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <c>host/dddd:bb:dd.f/vfN</c>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out VfId id, out string error)
    {
        id = default;
        var slash = text?.LastIndexOf('/') ?? -1;
        if (text is null || slash < 0)
        {
            error = $"VF id '{text}' is invalid: expected host/dddd:bb:dd.f/vfN, for example host-a/0000:3b:00.0/vf3";
            return false;
        }

        if (!PfId.TryParse(text[..slash], out var pf, out var pfError))
        {
            error = $"VF id '{text}' is invalid: {pfError}";
            return false;
        }

        var tail = text[(slash + 1)..];
        if (!tail.StartsWith("vf", StringComparison.Ordinal)
            || tail.Length < 3
            || (tail.Length > 3 && tail[2] == '0')
            || !int.TryParse(tail.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || index > MaxIndex)
        {
            error = $"VF id '{text}' is invalid: VF part '{tail}' must be vfN with N in 0..{MaxIndex}, no leading zeros";
            return false;
        }

        id = new VfId(pf, index);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static VfId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out VfId result) =>
        TryParse(s, out result, out _);

    /// <inheritdoc />
    public int CompareTo(VfId other)
    {
        var byPf = Pf.CompareTo(other.Pf);
        return byPf != 0 ? byPf : Index.CompareTo(other.Index);
    }

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <(VfId left, VfId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >(VfId left, VfId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <=(VfId left, VfId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >=(VfId left, VfId right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical text <c>host/dddd:bb:dd.f/vfN</c>, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Pf}/vf{Index}");
}
