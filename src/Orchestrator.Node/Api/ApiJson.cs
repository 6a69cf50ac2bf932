using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Node.Api;

/// <summary>The API's JSON: camelCase, nulls written (the contract names fields like <c>reason</c> even when null).</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
