using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orchestrator.Client;

namespace Orchestrator.Node.Api;

/// <summary>
/// What the generated OpenAPI document does not say by itself: the bearer scheme and which operations need it (those
/// behind <see cref="BearerAuth"/>; reads need none), a summary for every operation (its name in words, unless the
/// endpoint gives one), an example of every request body, and one stable server entry, so that
/// <c>docs/openapi.json</c> is the same from every node.
/// </summary>
public static class ApiDocument
{
    /// <summary>The name of the bearer security scheme in the document.</summary>
    public const string BearerScheme = "bearer";

    /// <summary>
    /// The schema names of the client's records that the server answers with (<see cref="MigrationResource"/>): the names
    /// the document gave the server's own records before, so that code generated from it keeps its types.
    /// </summary>
    public static IReadOnlyDictionary<Type, string> SchemaNames { get; } = new Dictionary<Type, string>
    {
        [typeof(ApiMigration)] = "MigrationResource",
        [typeof(ApiProgress)] = "MigrationProgress",
        [typeof(ApiRound)] = "MigrationRound",
        [typeof(ApiMigrationVf)] = "MigrationVfResource",
        [typeof(ApiCheckpoint)] = "MigrationCheckpoint",
        [typeof(ApiPolicy)] = "MigrationPolicyView",
    };

    private static string? SchemaReferenceId(JsonTypeInfo info)
    {
        var type = info.Type;
        if (SchemaNames.TryGetValue(type, out var name))
        {
            return name;
        }

        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ApiPage<>) && SchemaNames.TryGetValue(type.GetGenericArguments()[0], out var item)
            ? "ApiPageOf" + item
            : OpenApiOptions.CreateDefaultSchemaReferenceId(info);
    }

    /// <summary>
    /// Adds <paramref name="type"/> as a named component, and each body record it holds (a request's <c>policy</c>) as
    /// one of its own, referenced rather than inlined, so that clients generated from the document name it too.
    /// </summary>
    private static async Task AddBodySchemaAsync(Type type, OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (document.Components?.Schemas?.ContainsKey(type.Name) == true)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(type, null, ct);
        document.AddComponent(type.Name, schema);
        foreach (var property in type.GetProperties())
        {
            var nested = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (nested.Namespace == type.Namespace && nested.IsClass && schema.Properties?.ContainsKey(name) == true)
            {
                await AddBodySchemaAsync(nested, document, context, ct);
                schema.Properties[name] = new OpenApiSchemaReference(nested.Name, document);
            }
        }
    }

    /// <summary>Adds the transformers to the OpenAPI options.</summary>
    public static void Configure(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.CreateSchemaReferenceId = SchemaReferenceId;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Orchestrator API";
            document.Info.Description = "Live migration of SR-IOV VFs between hosts: hosts, VFs, placement, migrations, evacuations, events. "
                + "Every node answers every call. Mutating calls need Authorization: Bearer TOKEN; errors are application/problem+json naming the field and value.";
            document.Servers = [new OpenApiServer { Url = "http://127.0.0.1:7401", Description = "a node's API (the default address; any node of the cluster answers)" }];
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The cluster's token (api.token-file, or ORCHESTRATOR_TOKEN); required by every POST, PATCH and DELETE.",
            };
            foreach (var operation in document.Paths.Values.Where(p => p.Operations is not null).SelectMany(p => p.Operations!.Values))
            {
                var bearer = operation.Security is { Count: > 0 };
                operation.Security = bearer
                    ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }]
                    : [new OpenApiSecurityRequirement()]; // reads: no authentication
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            operation.Summary ??= Words(operation.OperationId);
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedBody>().FirstOrDefault() is { } body && context.Document is { } document)
            {
                var schemaName = body.Type.Name;
                await AddBodySchemaAsync(body.Type, document, context, ct);

                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = body.Required,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference(schemaName, document) } },
                };
            }

            if (operation.OperationId is { } name && RequestExamples.TryGetValue(name, out var example) && operation.RequestBody?.Content is { } content)
            {
                foreach (var media in content.Values)
                {
                    media.Example = JsonNode.Parse(example);
                }
            }

            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<BearerRequired>().Any())
            {
                operation.Security = [new OpenApiSecurityRequirement()]; // marked here, the reference is made with the document
            }
        });
    }

    // One example request body per operation that takes one.
    private static readonly Dictionary<string, string> RequestExamples = new(StringComparer.Ordinal)
    {
        ["StartMigration"] = """{"workload": "vm-1", "target": "host-b", "policy": {"downtimeLimitMs": 500, "nonConvergenceAction": "abort"}}""",
        ["ChangeMigrationPolicy"] = """{"downtimeLimitMs": 2000, "bandwidthBytesPerSecond": null}""",
        ["QueryPlacement"] = """{"workload": "vm-1"}""",
        ["CreateVf"] = """{"pf": "host-a/0000:3b:00.0", "kind": "vfio", "profile": "eth-small", "workload": "vm-7"}""",
        ["CordonHost"] = """{"reason": "firmware update"}""",
    };

    /// <summary>"ListMigrations" → "List migrations".</summary>
    public static string? Words(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var text = new StringBuilder(name.Length + 8).Append(name[0]);
        foreach (var c in name.AsSpan(1))
        {
            text.Append(char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c);
        }

        return text.ToString();
    }
}

/// <summary>Endpoint metadata of an operation behind <see cref="BearerAuth"/>.</summary>
public sealed class BearerRequired
{
    public static BearerRequired Instance { get; } = new();
}
