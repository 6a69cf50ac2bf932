using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Orchestrator.Devices.Contract;

/// <summary>
/// The profile a PF creates a VF with (its feature set, for example <c>eth-migratable</c> or <c>qm-4qp</c>):
/// <c>[A-Za-z0-9][A-Za-z0-9._-]{0,63}</c>, case-sensitive. A migration's target VF has the source VF's profile.
/// In JSON (events, the simulated device's state file, the API) it is the plain string.
/// </summary>
[JsonConverter(typeof(ProfileIdJsonConverter))]
public readonly partial record struct ProfileId : IParsable<ProfileId>
{
    private readonly string? _value;

    private ProfileId(string value) => _value = value;

    /// <summary>The canonical text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the bad value.</summary>
    public static ProfileId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> names the bad value when it fails.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ProfileId id, out string error)
    {
        id = default;
        if (text is null || !Pattern().IsMatch(text))
        {
            error = $"profile '{text}' is invalid: expected [A-Za-z0-9][A-Za-z0-9._-]{{0,63}}";
            return false;
        }

        id = new ProfileId(text);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public static ProfileId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out ProfileId result) =>
        TryParse(s, out result, out _);

    /// <summary>The canonical text, which <see cref="Parse(string)"/> reads back.</summary>
    public override string ToString() => Value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>A profile is its text in JSON, so persisted shapes stay what they were when profiles were strings.</summary>
internal sealed class ProfileIdJsonConverter : JsonConverter<ProfileId>
{
    public override ProfileId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return ProfileId.TryParse(text, out var id, out var error) ? id : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, ProfileId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
