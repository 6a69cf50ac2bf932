using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Client;

// The resource shapes of the HTTP API (issue 6, camelCase JSON). Only the contract fields are read; more are ignored.

/// <summary>A host with its PFs and their VFs.</summary>
public sealed record ApiHost(string Id, string? Node, bool Cordoned, IReadOnlyList<ApiPf>? Pfs)
{
    public IReadOnlyList<ApiPf> PfList => Pfs ?? [];
}

/// <summary>A physical function: driver, firmware, capacity and its VFs.</summary>
public sealed record ApiPf(
    string Id,
    string? Driver,
    string? DeviceType,
    string? Firmware,
    [property: JsonConverter(typeof(FlexibleStringConverter))] string? MigrationFlags,
    int MaxVfs,
    int FreeVfSlots,
    int FreeMigrationSlots,
    IReadOnlyList<ApiVf>? Vfs,
    IReadOnlyList<string>? Profiles = null)
{
    public IReadOnlyList<ApiVf> VfList => Vfs ?? [];
}

/// <summary>A virtual function; <see cref="State"/> is the VFIO state name, <see cref="Migration"/> the migration that holds it, if any.</summary>
public sealed record ApiVf(string Id, string? Kind, string? Profile, string? Workload, string? State, string? Migration = null, IReadOnlyList<ApiVfTransition>? History = null);

/// <summary>One VFIO state change of a VF (<c>GET /vfs/{id}?history=true</c>), with the migration and epoch that caused it.</summary>
public sealed record ApiVfTransition(string From, string To, string? Migration, long? Epoch, DateTimeOffset At);

/// <summary>The answer to <c>POST /vfs</c> and <c>DELETE /vfs/{id}</c>.</summary>
public sealed record ApiVfChange(string Id, string? Pf, bool Exists);

/// <summary>
/// A migration, as a node's API shows it (the server returns this record, so the two cannot drift): the contract
/// fields <c>{id, workload, source, target, state, epoch, createdAt, updatedAt, progress, downtimeMs, reason,
/// checkpoints}</c>, the pre-copy curve (<see cref="Rounds"/>), the VF pairs, the current <see cref="Step"/>, the
/// admission <see cref="QueuePosition"/> and the <see cref="LastError"/>. <see cref="State"/> is a protocol state
/// (Completed, RolledBack and Failed are terminal, <see cref="IsTerminal"/>); a Failed migration has its failure
/// <see cref="Code"/> (<c>SourceLost</c>, <c>TargetLost</c>, <c>TargetStateLost</c>, <c>RetriesExhausted</c>) and a
/// RolledBack one its rollback code, with the <see cref="Reason"/>. <see cref="Policy"/> is the effective policy it runs
/// under; <see cref="Status"/> the coarse status a scheduler acts on: <see cref="Queued"/> (waiting for admission or a
/// PF's migration slot, at <see cref="QueuePosition"/>), <see cref="Running"/>, <c>RollingBack</c>,
/// <see cref="Completed"/>, <see cref="RolledBack"/> or <see cref="Failed"/>.
/// </summary>
public sealed record ApiMigration(
    string Id,
    string Workload,
    string? Source,
    string? Target,
    string State,
    long Epoch,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ApiProgress Progress,
    double? DowntimeMs,
    string? Reason,
    IReadOnlyList<ApiCheckpoint> Checkpoints,
    IReadOnlyList<ApiRound> Rounds,
    IReadOnlyList<ApiMigrationVf> Vfs,
    string Step,
    int? QueuePosition,
    string? LastError,
    [property: JsonPropertyName("terminal")] bool IsTerminal,
    string? Code = null,
    ApiPolicy? Policy = null,
    string Status = ApiMigration.Running)
{
    public const string Completed = "Completed";
    public const string RolledBack = "RolledBack";
    public const string Failed = "Failed";

    /// <summary>The <see cref="Status"/> of a migration waiting for admission or a migration slot (see <see cref="QueuePosition"/>).</summary>
    public const string Queued = "Queued";

    /// <summary>The <see cref="Status"/> of a migration making progress: placing, preparing, pre-copying, switching over, finishing.</summary>
    public const string Running = "Running";
}

/// <summary>Progress now: what moved, what is left, how fast state is dirtied, the downtime it predicts.</summary>
public sealed record ApiProgress(long BytesTransferred, long BytesRemaining, int Rounds, long DirtyBytesPerSecond, double? PredictedDowntimeMs);

/// <summary>One pre-copy round, kept so that an ended migration still shows its curve.</summary>
public sealed record ApiRound(int Round, long BytesTransferred, long BytesRemaining, long DirtyBytesPerSecond, long BandwidthBytesPerSecond, double PredictedDowntimeMs, DateTimeOffset At);

/// <summary>A source VF and the target VF it moves to, with the kind and profile both were created with.</summary>
public sealed record ApiMigrationVf(string Source, string Target, string Kind, string Profile);

/// <summary>
/// The policy a migration runs under, in the API's units: the effective one (the node's defaults with what the request
/// set). <see cref="NonConvergenceAction"/> is <c>abort</c>, <c>force</c> or <c>wait</c>; <see cref="SwitchoverAckWaitMs"/>
/// 0 switches over without waiting for the target's readiness.
/// </summary>
public sealed record ApiPolicy(
    double DowntimeLimitMs,
    long? BandwidthBytesPerSecond,
    int MaxPreCopyRounds,
    double CompletionTimeoutPerGiBSeconds,
    double ProgressTimeoutSeconds,
    string NonConvergenceAction,
    double SwitchoverAckWaitMs = 0);

/// <summary>When the migration reached a protocol state: every state it passed, in order.</summary>
public sealed record ApiCheckpoint(string State, DateTimeOffset At);

/// <summary>The answer of <c>POST /placement</c>.</summary>
public sealed record ApiPlacement(IReadOnlyList<ApiPlacementCandidate>? Candidates, IReadOnlyList<ApiPlacementRejection>? Rejected);

/// <summary>A target that fits.</summary>
public sealed record ApiPlacementCandidate(string Host, string? Pf, string? SourceVf = null, string? TargetVf = null);

/// <summary>
/// A target that does not fit, and why; <see cref="Host"/> is null when the reason is the workload's own (a source VF
/// that a migration holds, say), not a host's.
/// </summary>
public sealed record ApiPlacementRejection(string? Host, string? Pf, string Reason, string? Detail = null, string? SourceVf = null);

/// <summary>
/// One run of a host's reconciler (<c>/hosts/{id}/reconcile</c>): what it compared, cleaned and left alone, and for a
/// dry run (<see cref="DryRun"/>) what it would clean (<see cref="Planned"/>).
/// </summary>
public sealed record ApiReconcile(
    string Host,
    string Trigger,
    int CheckedVfs,
    IReadOnlyList<ApiLeftover>? Cleaned,
    IReadOnlyList<ApiLeftover>? Left,
    DateTimeOffset At,
    string? Skipped,
    bool DryRun = false,
    IReadOnlyList<ApiLeftover>? Planned = null);

/// <summary>A leftover: cleaned, to be cleaned, or left alone (<see cref="Action"/> null), and why.</summary>
public sealed record ApiLeftover(string? Vf, string? Pf, string? Migration, string? Action, string Reason);

/// <summary>
/// One Server-Sent Event: its <c>event:</c> name (<c>host</c>, <c>migration</c>, <c>leftover</c>, <c>overflow</c>),
/// its <c>data:</c> text, and its <c>id:</c> (a migration event's durable id, to resume from; null for the others).
/// </summary>
public sealed record ApiEvent(string Event, string Data, string? Id)
{
    /// <summary>The migration a <c>migration</c> event carries; null for other events.</summary>
    public ApiMigration? Migration() =>
        Event == "migration" ? JsonSerializer.Deserialize<ApiMigration>(Data, OrchestratorApiClient.Json) : null;
}

/// <summary>The filters of <c>GET /events</c>, each optional: one migration, one host, some kinds of events.</summary>
public sealed record ApiEventFilter(string? Migration = null, string? Host = null, IReadOnlyList<string>? Types = null)
{
    internal string ToQuery()
    {
        var parts = new List<string>();
        if (Migration is not null)
        {
            parts.Add("migration=" + Uri.EscapeDataString(Migration));
        }

        if (Host is not null)
        {
            parts.Add("host=" + Uri.EscapeDataString(Host));
        }

        if (Types is { Count: > 0 })
        {
            parts.Add("types=" + Uri.EscapeDataString(string.Join(',', Types)));
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}

/// <summary>An answer with the server's own JSON (what <c>--json</c> prints) and its parsed value.</summary>
public sealed record ApiResult<T>(T Value, string Json);

/// <summary>
/// The filters of <c>GET /migrations</c> (each optional) and how many migrations to read at most, over as many pages
/// as that takes.
/// </summary>
public sealed record MigrationFilter(string? Workload = null, string? Host = null, string? State = null, DateTimeOffset? Since = null, int Limit = int.MaxValue)
{
    /// <summary>The largest page the server gives.</summary>
    public const int PageSize = 1000;

    /// <summary>The filters as query parameters (null ones are left out).</summary>
    public IReadOnlyList<(string Name, string? Value)> Filters =>
        [("workload", Workload), ("host", Host), ("state", State), ("since", Since?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>Reads a string, a number or an array of strings (joined with '|') as one string.</summary>
internal sealed class FlexibleStringConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.StartArray:
                var parts = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    parts.Add(reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : JsonDocument.ParseValue(ref reader).RootElement.GetRawText());
                }

                return string.Join('|', parts);
            default:
                return JsonDocument.ParseValue(ref reader).RootElement.GetRawText();
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
