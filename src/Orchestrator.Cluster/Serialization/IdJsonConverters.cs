using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Cluster.Serialization;

/// <summary>Ids are written in their canonical text form, so stored events read like the API and the logs.</summary>
internal sealed class IdJsonConverter<T>(Func<string, T> parse) : JsonConverter<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException($"{typeof(T).Name}: null");
        try
        {
            return parse(text);
        }
        catch (FormatException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value!.ToString());

    // Dictionaries keyed by id (a host entry's PF refs and VF migrations) use the same text as property names.
    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WritePropertyName(value!.ToString()!);
}

/// <summary>The id converters every JSON payload of the cluster uses.</summary>
internal static class IdJsonConverters
{
    /// <summary>Adds a converter for each typed id (host, PF, VF, workload, migration) to <paramref name="options"/>.</summary>
    public static void AddTo(JsonSerializerOptions options)
    {
        options.Converters.Add(new IdJsonConverter<HostId>(HostId.Parse));
        options.Converters.Add(new IdJsonConverter<PfId>(PfId.Parse));
        options.Converters.Add(new IdJsonConverter<VfId>(VfId.Parse));
        options.Converters.Add(new IdJsonConverter<WorkloadId>(WorkloadId.Parse));
        options.Converters.Add(new IdJsonConverter<MigrationId>(MigrationId.Parse));
    }
}

/// <summary>Epochs are numbers.</summary>
internal sealed class EpochJsonConverter : JsonConverter<Epoch>
{
    public override Epoch Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Epoch.Of(reader.GetInt64());

    public override void Write(Utf8JsonWriter writer, Epoch value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
}
