using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Serialization;

/// <summary>
/// A <see cref="MigrationPolicy"/> in a replicated migration view, in the API's units: the seven fields of
/// <c>MigrationView.v1</c>'s policy as it was first written (<c>downtimeLimitMs</c> … <c>switchoverAckWaitMs</c>), then
/// the ones the API does not show (<c>minimumCompletionTimeoutSeconds</c>, <c>retryBackoffBaseMs</c>,
/// <c>retryBackoffMaxMs</c>, <c>maxRetries</c>), each only where it differs from <see cref="MigrationPolicy.Default"/>'s.
/// An older node reads the first seven and skips the rest; a field that is missing reads as the default's, so the
/// manifest stays <c>v1</c> and a rolling upgrade works.
/// </summary>
internal sealed class MigrationPolicyJsonConverter : JsonConverter<MigrationPolicy>
{
    public override MigrationPolicy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"policy: expected an object, found {reader.TokenType}");
        }

        // Locals, then one record: a view is read on every change a node receives, and a `with` per field would
        // allocate eleven policies to keep one.
        var d = MigrationPolicy.Default;
        var (downtimeLimit, bandwidth, rounds, perGiB, progress, action, ack) =
            (d.DowntimeLimit, d.BandwidthCapBytesPerSecond, d.MaxPreCopyRounds, d.CompletionTimeoutPerGiB, d.ProgressTimeout, d.NonConvergenceAction, d.SwitchoverAckWait);
        var (minimum, backoffBase, backoffMax, retries) = (d.MinimumCompletionTimeout, d.RetryBackoffBase, d.RetryBackoffMax, d.MaxRetries);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            // Names compared as UTF-8, not read into strings: nothing allocated per field.
            var field = Field(ref reader);
            reader.Read();
            switch (field)
            {
                case 0: downtimeLimit = TimeSpan.FromMilliseconds(reader.GetDouble()); break;
                case 1: bandwidth = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64(); break;
                case 2: rounds = reader.GetInt32(); break;
                case 3: perGiB = TimeSpan.FromSeconds(reader.GetDouble()); break;
                case 4: progress = TimeSpan.FromSeconds(reader.GetDouble()); break;
                case 5:
                    action = NonConvergenceActions.Parse(reader.GetString() ?? "")
                        ?? throw new JsonException($"policy.nonConvergenceAction: '{reader.GetString()}' is not abort, force or wait");
                    break;
                case 6: ack = TimeSpan.FromMilliseconds(reader.GetDouble()); break;
                case 7: minimum = TimeSpan.FromSeconds(reader.GetDouble()); break;
                case 8: backoffBase = TimeSpan.FromMilliseconds(reader.GetDouble()); break;
                case 9: backoffMax = TimeSpan.FromMilliseconds(reader.GetDouble()); break;
                case 10: retries = reader.GetInt32(); break;
                default: reader.Skip(); break; // written by a newer node
            }
        }

        return new MigrationPolicy
        {
            DowntimeLimit = downtimeLimit,
            BandwidthCapBytesPerSecond = bandwidth,
            MaxPreCopyRounds = rounds,
            CompletionTimeoutPerGiB = perGiB,
            MinimumCompletionTimeout = minimum,
            ProgressTimeout = progress,
            NonConvergenceAction = action,
            SwitchoverAckWait = ack,
            RetryBackoffBase = backoffBase,
            RetryBackoffMax = backoffMax,
            MaxRetries = retries,
        };
    }

    // Each name's case in Read, numbered in the order Write writes them.
    private static int Field(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("downtimeLimitMs"u8) ? 0
        : reader.ValueTextEquals("bandwidthBytesPerSecond"u8) ? 1
        : reader.ValueTextEquals("maxPreCopyRounds"u8) ? 2
        : reader.ValueTextEquals("completionTimeoutPerGiBSeconds"u8) ? 3
        : reader.ValueTextEquals("progressTimeoutSeconds"u8) ? 4
        : reader.ValueTextEquals("nonConvergenceAction"u8) ? 5
        : reader.ValueTextEquals("switchoverAckWaitMs"u8) ? 6
        : reader.ValueTextEquals("minimumCompletionTimeoutSeconds"u8) ? 7
        : reader.ValueTextEquals("retryBackoffBaseMs"u8) ? 8
        : reader.ValueTextEquals("retryBackoffMaxMs"u8) ? 9
        : reader.ValueTextEquals("maxRetries"u8) ? 10
        : -1;

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
        // The rest only where they differ from the defaults they read back as: the index holds thousands of views.
        var d = MigrationPolicy.Default;
        if (value.MinimumCompletionTimeout != d.MinimumCompletionTimeout)
        {
            writer.WriteNumber("minimumCompletionTimeoutSeconds", value.MinimumCompletionTimeout.TotalSeconds);
        }

        if (value.RetryBackoffBase != d.RetryBackoffBase)
        {
            writer.WriteNumber("retryBackoffBaseMs", value.RetryBackoffBase.TotalMilliseconds);
        }

        if (value.RetryBackoffMax != d.RetryBackoffMax)
        {
            writer.WriteNumber("retryBackoffMaxMs", value.RetryBackoffMax.TotalMilliseconds);
        }

        if (value.MaxRetries != d.MaxRetries)
        {
            writer.WriteNumber("maxRetries", value.MaxRetries);
        }

        writer.WriteEndObject();
    }
}
