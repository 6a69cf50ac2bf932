using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Orchestrator.Cluster.Serialization;

/// <summary>
/// JSON payloads under explicit, stable manifests (never CLR type names): what the event serializer and the replicated
/// value serializer share. Each manifest is a promise to every reader already deployed: add, never change.
/// </summary>
public abstract class ManifestJsonSerializer : SerializerWithStringManifest
{
    private readonly IReadOnlyDictionary<string, Type> _types;
    private readonly Dictionary<Type, string> _manifests;
    private readonly string _what;

    /// <param name="system">The actor system.</param>
    /// <param name="types">Manifest → type.</param>
    /// <param name="what">What the payloads are, for errors ("event").</param>
    protected ManifestJsonSerializer(ExtendedActorSystem system, IReadOnlyDictionary<string, Type> types, string what)
        : base(system)
    {
        _types = types;
        _manifests = types.ToDictionary(kv => kv.Value, kv => kv.Key);
        _what = what;
    }

    /// <summary>The options payloads are written and read with.</summary>
    protected abstract JsonSerializerOptions Json { get; }

    public override string Manifest(object o) =>
        _manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType().FullName} has no stable manifest; add one to {GetType().Name}");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        _types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"manifest {manifest}: null payload")
            : throw new SerializationException($"unknown {_what} manifest '{manifest}' (written by a newer version?)");
}
