using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Cluster.History;

/// <summary>
/// The one JSON shape of history lines: camelCase fields, <c>type</c> first, nulls left out, enums in lower-case
/// kebab (<c>acquire</c>, <c>indeterminate</c>), times as UTC with 7 fractional digits.
/// </summary>
public static class HistoryJson
{
    /// <summary>Options used for every line; shared and read-only.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>One record as one line of JSON, without the newline.</summary>
    public static string Serialize(HistoryRecord record) => JsonSerializer.Serialize(record, Options);

    /// <summary>Parses one line; throws <see cref="JsonException"/> when it is not a complete, known record.</summary>
    public static HistoryRecord Deserialize(string line) =>
        JsonSerializer.Deserialize<HistoryRecord>(line, Options) ?? throw new JsonException("line is JSON null");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Lines written by other tools (a Python harness) need not put "type" first.
            AllowOutOfOrderMetadataProperties = true,
            WriteIndented = false,
        };
        options.Converters.Add(new UtcTimestampConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
