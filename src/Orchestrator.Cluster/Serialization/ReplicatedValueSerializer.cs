using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Orchestrator.Cluster.Evacuations;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;

namespace Orchestrator.Cluster.Serialization;

/// <summary>
/// Serializer of the values the nodes replicate through Distributed Data (a host's directory entry, a migration's view
/// in the index, an evacuation job's view in its index): compact JSON under stable manifests, not Hyperion's CLR type
/// names (~1.8 KB a VF of an entry). A replicator serializes a key's whole value for every change it digests, gossips or
/// writes to a majority (issue 16); Hyperion also built its serializer for a type at its first use inside the
/// replicator, which held every other read and write of the node for ~100 ms at a process's first evacuation.
/// Replicated values are never stored (no durable keys), so a new manifest version only needs every node of the
/// cluster to read it: a full stop, as the README's upgrade notes say.
/// </summary>
public sealed class ReplicatedValueSerializer : ManifestJsonSerializer
{
    /// <summary>The serializer id in HOCON <c>serialization-identifiers</c>.</summary>
    public const int SerializerId = 4712;

    private static readonly Dictionary<string, Type> Types = new()
    {
        ["HostEntry.v1"] = typeof(HostEntry),
        ["MigrationView.v1"] = typeof(MigrationView),
        ["EvacuationView.v1"] = typeof(EvacuationView),
    };

    private readonly JsonSerializerOptions _json;

    public ReplicatedValueSerializer(ExtendedActorSystem system)
        : base(system, Types, "replicated value")
    {
        _json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = false,
            // Computed properties (PfInventory.FreeVfSlots …) are not state: only what a constructor takes is written.
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { WriteConstructorStateOnly } },
        };
        _json.Converters.Add(new JsonStringEnumConverter());
        IdJsonConverters.AddTo(_json);
        _json.Converters.Add(new MigrationPolicyJsonConverter());
        _json.Converters.Add(new ActorRefJsonConverter(system));
    }

    public override int Identifier => SerializerId;

    protected override JsonSerializerOptions Json => _json;

    private static void WriteConstructorStateOnly(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || info.CreateObject is not null)
        {
            return; // not a record built through its constructor
        }

        var parameters = info.Type.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var property in info.Properties.Where(p => p.Set is null && !parameters.Contains(p.Name)).ToList())
        {
            info.Properties.Remove(property);
        }
    }

    /// <summary>Actor refs as their full path with the node's address, resolved back on the reading node.</summary>
    private sealed class ActorRefJsonConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool HandleNull => false;

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString() ?? throw new JsonException("actor ref: null"));

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
