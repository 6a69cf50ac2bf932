using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Serialization;

/// <summary>
/// A <see cref="MigrationPolicy"/> in a replicated migration view, in the API's units: the seven fields of
/// <c>MigrationView.v1</c>'s policy as it was first written (<c>downtimeLimitMs</c> … <c>switchoverAckWaitMs</c>), then
/// the ones the API does not show (<c>minimumCompletionTimeoutSeconds</c>, <c>retryBackoffBaseMs</c>,
/// <c>retryBackoffMaxMs</c>, <c>maxRetries</c>). An older node reads the first seven and skips the rest; a field that is
/// missing reads as <see cref="MigrationPolicy.Default"/>'s, so the manifest stays <c>v1</c> and a rolling upgrade works.
/// </summary>
internal sealed class MigrationPolicyJsonConverter : JsonConverter<MigrationPolicy>
{
    public override MigrationPolicy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"policy: expected an object, found {reader.TokenType}");
        }

        var policy = MigrationPolicy.Default;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            policy = name switch
            {
                "downtimeLimitMs" => policy with { DowntimeLimit = TimeSpan.FromMilliseconds(reader.GetDouble()) },
                "bandwidthBytesPerSecond" => policy with { BandwidthCapBytesPerSecond = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64() },
                "maxPreCopyRounds" => policy with { MaxPreCopyRounds = reader.GetInt32() },
                "completionTimeoutPerGiBSeconds" => policy with { CompletionTimeoutPerGiB = TimeSpan.FromSeconds(reader.GetDouble()) },
                "progressTimeoutSeconds" => policy with { ProgressTimeout = TimeSpan.FromSeconds(reader.GetDouble()) },
                "nonConvergenceAction" => policy with
                {
                    NonConvergenceAction = NonConvergenceActions.Parse(reader.GetString() ?? "")
                        ?? throw new JsonException($"policy.nonConvergenceAction: '{reader.GetString()}' is not abort, force or wait"),
                },
                "switchoverAckWaitMs" => policy with { SwitchoverAckWait = TimeSpan.FromMilliseconds(reader.GetDouble()) },
                "minimumCompletionTimeoutSeconds" => policy with { MinimumCompletionTimeout = TimeSpan.FromSeconds(reader.GetDouble()) },
                "retryBackoffBaseMs" => policy with { RetryBackoffBase = TimeSpan.FromMilliseconds(reader.GetDouble()) },
                "retryBackoffMaxMs" => policy with { RetryBackoffMax = TimeSpan.FromMilliseconds(reader.GetDouble()) },
                "maxRetries" => policy with { MaxRetries = reader.GetInt32() },
                _ => Skip(ref reader, policy), // written by a newer node
            };
        }

        return policy;
    }

    public override void Write(Utf8JsonWriter writer, MigrationPolicy value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("downtimeLimitMs", value.DowntimeLimit.TotalMilliseconds);
        if (value.BandwidthCapBytesPerSecond is { } cap)
        {
            writer.WriteNumber("bandwidthBytesPerSecond", cap);
        }
        else
        {
            writer.WriteNull("bandwidthBytesPerSecond");
        }

        writer.WriteNumber("maxPreCopyRounds", value.MaxPreCopyRounds);
        writer.WriteNumber("completionTimeoutPerGiBSeconds", value.CompletionTimeoutPerGiB.TotalSeconds);
        writer.WriteNumber("progressTimeoutSeconds", value.ProgressTimeout.TotalSeconds);
        writer.WriteString("nonConvergenceAction", NonConvergenceActions.Name(value.NonConvergenceAction));
        writer.WriteNumber("switchoverAckWaitMs", value.SwitchoverAckWait.TotalMilliseconds);
        writer.WriteNumber("minimumCompletionTimeoutSeconds", value.MinimumCompletionTimeout.TotalSeconds);
        writer.WriteNumber("retryBackoffBaseMs", value.RetryBackoffBase.TotalMilliseconds);
        writer.WriteNumber("retryBackoffMaxMs", value.RetryBackoffMax.TotalMilliseconds);
        writer.WriteNumber("maxRetries", value.MaxRetries);
        writer.WriteEndObject();
    }

    private static MigrationPolicy Skip(ref Utf8JsonReader reader, MigrationPolicy policy)
    {
        reader.Skip();
        return policy;
    }
}
