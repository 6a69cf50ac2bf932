using System.Net;
using System.Text.Json;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Reading answers in tests.</summary>
internal static class Json
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts a 400 problem+json that names the field and the value.</summary>
    public static async Task<JsonElement> BadInputAsync(HttpResponseMessage response, string field, string value)
    {
        var problem = await ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(value, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        return problem;
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
