using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Domain.Ids;

/// <summary>
/// A PF: its host and its PCI address <c>dddd:bb:dd.f</c> (hex, lowercase in the canonical form), written
/// <c>host-a/0000:3b:00.0</c>.
/// </summary>
public readonly record struct PfId : IComparable<PfId>, IParsable<PfId>
{
    private readonly string? _address;

    private PfId(HostId host, string address)
    {
        Host = host;
        _address = address;
    }

    /// <summary>The host the PF sits in.</summary>
    public HostId Host { get; }

    /// <summary>The PCI address, lowercase <c>dddd:bb:dd.f</c>.</summary>
    public string Address => _address ?? string.Empty;

    /// <summary>Builds a PF id from its parts; throws <see cref="FormatException"/> naming a bad address.</summary>
    public static PfId Of(HostId host, string address) =>
        TryParseAddress(address, out var canonical, out var error) ? new PfId(host, canonical) : throw new FormatException(error);

    /// <summary>Builds a PF id from its parts; <paramref name="error"/> names a bad value.</summary>
    public static bool TryCreate(HostId host, string? address, out PfId id, out string error)
    {
        id = default;
        if (string.IsNullOrEmpty(host.Value))
        {
            error = "PF id has an empty host";
            return false;
        }

        if (!TryParseAddress(address, out var canonical, out error))
        {
            return false;
        }

        id = new PfId(host, canonical);
        return true;
    }

    /// <summary>Parses <c>host/dddd:bb:dd.f</c>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static PfId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <c>host/dddd:bb:dd.f</c>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PfId id, out string error)
    {
        id = default;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (text is null || slash < 0)
        {
            error = $"PF id '{text}' is invalid: expected host/dddd:bb:dd.f, for example host-a/0000:3b:00.0";
            return false;
        }

        if (!HostId.TryParse(text[..slash], out var host, out var hostError))
        {
            error = $"PF id '{text}' is invalid: {hostError}";
            return false;
        }

        if (!TryParseAddress(text[(slash + 1)..], out var address, out var addressError))
        {
            error = $"PF id '{text}' is invalid: {addressError}";
            return false;
        }

        id = new PfId(host, address);
        error = string.Empty;
        return true;
    }

    /// <summary>Checks a PCI address and returns it lowercase; <paramref name="error"/> names a bad value.</summary>
    public static bool TryParseAddress(string? text, out string address, out string error)
    {
        address = string.Empty;
        var lower = text?.ToLowerInvariant();
        if (lower is null || !IdPatterns.PciAddress().IsMatch(lower))
        {
            error = $"PCI address '{text}' is invalid: expected dddd:bb:dd.f (hex domain:bus:device.function, device ≤ 1f, function ≤ 7)";
            return false;
        }

        address = lower;
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static PfId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out PfId result) =>
        TryParse(s, out result, out _);

    /// <summary>The VF with index <paramref name="index"/> on this PF.</summary>
    public VfId Vf(int index) => VfId.Of(this, index);

    /// <inheritdoc />
    public int CompareTo(PfId other)
    {
        var byHost = Host.CompareTo(other.Host);
        return byHost != 0 ? byHost : string.CompareOrdinal(Address, other.Address);
    }

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <(PfId left, PfId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >(PfId left, PfId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator <=(PfId left, PfId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order, for deterministic choices.</summary>
    public static bool operator >=(PfId left, PfId right) => left.CompareTo(right) >= 0;

    /// <summary>The canonical text <c>host/dddd:bb:dd.f</c>, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => $"{Host}/{Address}";
}
