using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Serialization;

/// <summary>
/// Serializer of every persisted event (migration, host, placement, evacuation and reconciler events): JSON payloads under explicit, stable,
/// versioned manifests (<c>MigrationRequested.v1</c>), never CLR type names, so a class can be renamed or moved
/// without breaking a journal. A changed event shape gets a new manifest version; the old one stays readable.
/// </summary>
public sealed class EventSerializer : ManifestJsonSerializer
{
    /// <summary>The serializer id in HOCON <c>serialization-identifiers</c>.</summary>
    public const int SerializerId = 4711;

    private static readonly JsonSerializerOptions Options = CreateOptions();

    // Manifest -> type. Add, never change: each manifest is a promise to every journal already written.
    private static readonly Dictionary<string, Type> Types = new()
    {
        ["MigrationRequested.v1"] = typeof(MigrationEvents.MigrationRequested),
        ["MigrationPlaced.v1"] = typeof(MigrationEvents.MigrationPlaced),
        ["MigrationAdmitted.v1"] = typeof(MigrationEvents.MigrationAdmitted),
        ["TargetPrepared.v1"] = typeof(MigrationEvents.TargetPrepared),
        ["PreCopyStarted.v1"] = typeof(MigrationEvents.PreCopyStarted),
        ["PreCopyRoundRecorded.v1"] = typeof(MigrationEvents.PreCopyRoundRecorded),
        ["SwitchoverStarted.v1"] = typeof(MigrationEvents.SwitchoverStarted),
        ["SourcesQuiesced.v1"] = typeof(MigrationEvents.SourcesQuiesced),
        ["StateTransferred.v1"] = typeof(MigrationEvents.StateTransferred),
        ["TargetLoaded.v1"] = typeof(MigrationEvents.TargetLoaded),
        ["MigrationCommitted.v1"] = typeof(MigrationEvents.MigrationCommitted),
        ["TargetStarted.v1"] = typeof(MigrationEvents.TargetStarted),
        ["SourceReleased.v1"] = typeof(MigrationEvents.SourceReleased),
        ["MigrationCompleted.v1"] = typeof(MigrationEvents.MigrationCompleted),
        ["RollbackStarted.v1"] = typeof(MigrationEvents.RollbackStarted),
        ["RollbackStepCompleted.v1"] = typeof(MigrationEvents.RollbackStepCompleted),
        ["MigrationRolledBack.v1"] = typeof(MigrationEvents.MigrationRolledBack),
        ["StepRetried.v1"] = typeof(MigrationEvents.StepRetried),
        ["MigrationRecovered.v1"] = typeof(MigrationEvents.MigrationRecovered),
        ["WorkloadAssigned.v1"] = typeof(HostEvents.WorkloadAssigned),
        ["CordonChanged.v1"] = typeof(HostEvents.CordonChanged),
        ["PlacementReserved.v1"] = typeof(Migrations.PlacementEvents.Reserved),
        ["AdmissionGranted.v1"] = typeof(Migrations.PlacementEvents.AdmissionGranted),
        ["EvacuationStarted.v1"] = typeof(Evacuations.EvacuationEvents.EvacuationStarted),
        ["WorkloadMigrationEnded.v1"] = typeof(Evacuations.EvacuationEvents.WorkloadMigrationEnded),
        ["EvacuationEnded.v1"] = typeof(Evacuations.EvacuationEvents.EvacuationEnded),
        ["PlacementReleased.v1"] = typeof(Migrations.PlacementEvents.Released),
        ["LeftoverCleaned.v1"] = typeof(ReconcilerEvents.LeftoverCleaned),
        ["WorkloadClaimed.v1"] = typeof(Migrations.PlacementEvents.WorkloadClaimed),
        ["MigrationFailed.v1"] = typeof(MigrationEvents.MigrationFailed),
        ["PolicyChanged.v1"] = typeof(MigrationEvents.PolicyChanged),
        ["EvacuationCancelled.v1"] = typeof(Evacuations.EvacuationEvents.EvacuationCancelled),
        ["PlacementLedgerSnapshot.v1"] = typeof(Migrations.PlacementEvents.LedgerSnapshot),
        ["HostJournalSnapshot.v1"] = typeof(HostEvents.HostJournalSnapshot),
        ["MigrationWithdrawn.v1"] = typeof(MigrationEvents.MigrationWithdrawn),
        ["EvacuationPlanExtended.v1"] = typeof(Evacuations.EvacuationEvents.EvacuationPlanExtended),
    };

    private static readonly Dictionary<Type, string> Manifests = Types.ToDictionary(kv => kv.Value, kv => kv.Key);

    public EventSerializer(ExtendedActorSystem system)
        : base(system, Types, "event")
    {
    }

    public override int Identifier => SerializerId;

    /// <summary>The manifests of snapshots (stored in the snapshot table, not the journal).</summary>
    public static IReadOnlyCollection<string> SnapshotManifests { get; } = ["PlacementLedgerSnapshot.v1", "HostJournalSnapshot.v1"];

    /// <summary>Every event manifest this version reads (snapshots not included).</summary>
    public static IReadOnlyCollection<string> KnownManifests => [.. Types.Keys.Except(SnapshotManifests)];

    protected override JsonSerializerOptions Json => Options;

    /// <summary>Serializes an event to its manifest and JSON, without an ActorSystem (tools and tests).</summary>
    public static (string Manifest, byte[] Payload) Encode(object e) =>
        (Manifests.TryGetValue(e.GetType(), out var m) ? m : throw new ArgumentException(e.GetType().FullName), JsonSerializer.SerializeToUtf8Bytes(e, e.GetType(), Options));

    /// <summary>Reads an event back from its manifest and JSON.</summary>
    public static object Decode(string manifest, byte[] payload) =>
        JsonSerializer.Deserialize(payload, Types[manifest], Options)!;

    /// <summary>
    /// <see cref="MigrationPolicy.MaxRetries"/> came after <c>MigrationRequested.v1</c> was first written. A missing
    /// property reads as its default (the record's initializer), and the default is not written, so an event with the
    /// default policy keeps the v1 bytes every earlier version wrote and reads; only a policy that changed it says so.
    /// </summary>
    private static void OmitDefaultMaxRetries(JsonTypeInfo info)
    {
        if (info.Type != typeof(MigrationPolicy))
        {
            return;
        }

        foreach (var property in info.Properties.Where(p => p.Name == "maxRetries"))
        {
            property.ShouldSerialize = (_, value) => value is not MigrationPolicy.DefaultMaxRetries;
        }
    }

    /// <summary>
    /// <see cref="MigrationEvents.RollbackStarted.Code"/> came after <c>RollbackStarted.v1</c> was first written; as
    /// with MaxRetries, Unspecified is neither written nor needed to read, so earlier events keep their bytes.
    /// </summary>
    private static void OmitUnspecifiedRollbackCode(JsonTypeInfo info)
    {
        if (info.Type != typeof(MigrationEvents.RollbackStarted))
        {
            return;
        }

        foreach (var property in info.Properties.Where(p => p.Name == "code"))
        {
            property.ShouldSerialize = (_, value) => value is not RollbackCode.Unspecified;
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = false,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitDefaultMaxRetries, OmitUnspecifiedRollbackCode } },
        };
        options.Converters.Add(new JsonStringEnumConverter());
        IdJsonConverters.AddTo(options);
        options.Converters.Add(new EpochJsonConverter());
        return options;
    }
}
