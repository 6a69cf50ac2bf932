using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// The client package (<c>Orchestrator.Client</c>) references no server assembly, so that a scheduler can take it
/// without Akka. The server answers migrations with the client's own records (<c>MigrationResource</c>); the other
/// client records restate the API's resources. This holds both to the committed OpenAPI document, which
/// <see cref="OpenApiDocumentTests"/> holds to what a node serves: every field a client record reads is in the
/// resource it reads it from (under the schema name the document has always used), with a JSON type it can read, and a
/// field the server may leave null or out is nullable (or defaulted) on the client. A server-side rename or retyping
/// then fails here rather than reading as null.
/// </summary>
public class ClientContractTests
{
    /// <summary>Each client record and the schema of a resource it is read from (a record may be read from several).</summary>
    private static readonly (Type Record, string Schema)[] Pairs =
    [
        (typeof(ApiHost), "HostResource"),
        (typeof(ApiPf), "PfResource"),
        (typeof(ApiVf), "VfResource"),
        (typeof(ApiVfTransition), "VfTransitionResource"),
        (typeof(ApiVfChange), "VfChangeResource"),
        (typeof(ApiMigration), "MigrationResource"),
        (typeof(ApiProgress), "MigrationProgress"),
        (typeof(ApiPolicy), "MigrationPolicyView"),
        (typeof(ApiCheckpoint), "MigrationCheckpoint"),
        (typeof(ApiPlacement), "PlacementResource"),
        (typeof(ApiPlacementCandidate), "PlacementCandidate"),
        (typeof(ApiPlacementRejection), "PlacementRejected"),
        (typeof(ApiReconcile), "ReconcileResource"),
        (typeof(ApiLeftover), "CleanedLeftoverResource"),
        (typeof(ApiLeftover), "PlannedCleanupResource"),
        (typeof(ApiLeftover), "LeftAloneResource"),
    ];

    /// <summary>The schemas each client record is read from: what a field holding that record must reference.</summary>
    private static readonly Dictionary<Type, string[]> Nested = Pairs
        .GroupBy(p => p.Record, p => p.Schema)
        .ToDictionary(g => g.Key, g => g.ToArray());

    public static TheoryData<Type, string> Mirrors()
    {
        var data = new TheoryData<Type, string>();
        foreach (var (record, schema) in Pairs)
        {
            data.Add(record, schema);
        }

        return data;
    }

    private static readonly Lazy<JsonObject> Schemas = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(ExternalTool.RepositoryRoot(), "docs", "openapi.json")))!["components"]!["schemas"]!.AsObject());

    [Theory]
    [MemberData(nameof(Mirrors))]
    public void Every_field_a_client_record_reads_is_in_its_resource_with_a_type_it_can_read(Type record, string schemaName)
    {
        var schema = Schemas.Value[schemaName]?.AsObject();
        Assert.True(schema is not null, $"docs/openapi.json has no schema {schemaName}");
        var properties = schema["properties"]!.AsObject();
        var required = schema["required"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
        var nullability = new NullabilityInfoContext();
        var problems = new List<string>();
        foreach (var parameter in record.GetConstructors().Single().GetParameters())
        {
            var name = record.GetProperty(parameter.Name!)?.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                ?? JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);
            var clientMayBeNull = parameter.HasDefaultValue || nullability.Create(parameter).ReadState == NullabilityState.Nullable;
            if (properties[name] is not JsonObject property)
            {
                if (!clientMayBeNull)
                {
                    problems.Add($"{record.Name}.{parameter.Name}: {schemaName} has no field {name}");
                }

                continue;
            }

            var (types, reference) = Describe(property);
            var serverMayBeNull = types.Contains("null") || !required.Contains(name);
            if (serverMayBeNull && !clientMayBeNull)
            {
                problems.Add($"{record.Name}.{parameter.Name} is not nullable, but {schemaName}.{name} may be null or left out");
            }

            if (Readable(parameter.ParameterType, types, reference, property["format"]?.GetValue<string>()) is { } mismatch)
            {
                problems.Add($"{record.Name}.{parameter.Name} ({parameter.ParameterType.Name}) cannot read {schemaName}.{name}: {mismatch}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_check_finds_a_field_the_resource_does_not_have()
    {
        // A record shaped like the client's, with one name the server does not use: the check must say so.
        var schema = Schemas.Value["MigrationCheckpoint"]!["properties"]!.AsObject();
        Assert.True(schema.ContainsKey("state"));
        Assert.False(schema.ContainsKey("phase"));
        Assert.Throws<Xunit.Sdk.TrueException>(() =>
            Every_field_a_client_record_reads_is_in_its_resource_with_a_type_it_can_read(typeof(RenamedCheckpoint), "MigrationCheckpoint"));
    }

    private static (HashSet<string> Types, string? Reference) Describe(JsonObject property)
    {
        if (property["oneOf"] is JsonArray alternatives)
        {
            // A nullable record: {"oneOf": [{"type": "null"}, {"$ref": ...}]}.
            var described = alternatives.Select(a => Describe(a!.AsObject())).ToList();
            return ([.. described.SelectMany(d => d.Types)], described.Select(d => d.Reference).SingleOrDefault(r => r is not null));
        }

        var types = property["type"] switch
        {
            JsonArray array => array.Select(n => n!.GetValue<string>()).ToHashSet(),
            JsonValue value => [value.GetValue<string>()],
            _ => new HashSet<string>(),
        };
        if (property["$ref"] is JsonValue reference)
        {
            types.Add("object");
            return (types, reference.GetValue<string>().Split('/')[^1]);
        }

        return (types, (property["items"] as JsonObject)?["$ref"]?.GetValue<string>().Split('/')[^1]);
    }

    /// <summary>Null when a field of <paramref name="clr"/> can read JSON of <paramref name="types"/>; else why not.</summary>
    private static string? Readable(Type clr, HashSet<string> types, string? reference, string? format)
    {
        var type = Nullable.GetUnderlyingType(clr) ?? clr;
        var element = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;
        if (element is not null)
        {
            return !types.Contains("array") ? $"it is {string.Join("|", types)}, not an array"
                : Nested.TryGetValue(element, out var arrayOf) && !arrayOf.Contains(reference) ? $"its items are {reference}, not {string.Join("|", arrayOf)}"
                : null;
        }

        if (Nested.TryGetValue(type, out var schemas))
        {
            return schemas.Contains(reference) ? null : $"it is {reference ?? string.Join("|", types)}, not {string.Join("|", schemas)}";
        }

        var accepted = type == typeof(string) || type == typeof(DateTimeOffset) ? "string"
            : type == typeof(bool) ? "boolean"
            : type == typeof(int) || type == typeof(long) ? "integer"
            : type == typeof(double) ? "number|integer"
            : null;
        return accepted is null ? $"no rule for {type.Name}"
            : type == typeof(int) && format == "int64" ? "it is a 64-bit integer"
            : types.Overlaps(accepted.Split('|')) ? null
            : $"it is {string.Join("|", types)}, not {accepted}";
    }

    /// <summary>The client's checkpoint with its state field misnamed, for the check's own test.</summary>
    private sealed record RenamedCheckpoint(string Phase, DateTimeOffset At);
}
