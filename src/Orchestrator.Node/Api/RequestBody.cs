using System.Text.Json;

namespace Orchestrator.Node.Api;

/// <summary>
/// A JSON request body read strictly: it must be one object, with only the allowed fields, each a string (or null
/// where optional). Reading it by hand rather than by binding lets every error name the field and the value.
/// </summary>
public sealed class RequestBody
{
    private readonly Dictionary<string, JsonElement> _fields;

    private RequestBody(Dictionary<string, JsonElement> fields) => _fields = fields;

    /// <summary>Reads the body; on failure <c>Problem</c> is the 400 to answer.</summary>
    public static async Task<(RequestBody? Body, IResult? Problem)> ReadAsync(HttpRequest request, IReadOnlyCollection<string> allowed, bool optional = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length == 0)
        {
            return optional
                ? (new RequestBody([]), null)
                : (null, ApiProblems.BadInput("body", "", $"a JSON object with {string.Join(", ", allowed)} is required"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException e)
        {
            var excerpt = Excerpt(buffer.ToArray());
            return (null, ApiProblems.BadInput("body", excerpt,
                $"malformed JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1} of '{excerpt}': {e.Message}"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiProblems.BadInput("body", document.RootElement.GetRawText(), $"the body must be a JSON object, not {document.RootElement.GetRawText()}"));
            }

            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!allowed.Contains(property.Name))
                {
                    return (null, ApiProblems.BadInput(property.Name, property.Value.GetRawText(),
                        $"unknown field '{property.Name}' (value {property.Value.GetRawText()}); expected {string.Join(", ", allowed)}"));
                }

                if (!fields.TryAdd(property.Name, property.Value.Clone()))
                {
                    return (null, ApiProblems.BadInput(property.Name, property.Value.GetRawText(), $"field '{property.Name}' is given twice"));
                }
            }

            return (new RequestBody(fields), null);
        }
    }

    /// <summary>A string field; null when absent or null and optional, else a problem naming the field and value.</summary>
    public string? Text(string field, bool required, ref IResult? problem)
    {
        if (problem is not null)
        {
            return null;
        }

        if (!_fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problem = ApiProblems.BadInput(field, null, $"field '{field}' is required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            problem = ApiProblems.BadInput(field, value.GetRawText(), $"field '{field}': {value.GetRawText()} is not a string");
            return null;
        }

        return value.GetString();
    }

    /// <summary>An optional whole-number field of at least <paramref name="min"/>; null when absent or null, else a problem naming the field and value.</summary>
    public int? Number(string field, int min, ref IResult? problem)
    {
        if (problem is not null || !_fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min)
        {
            problem = ApiProblems.BadInput(field, value.GetRawText(), $"field '{field}': {value.GetRawText()} is not a whole number of at least {min}");
            return null;
        }

        return number;
    }

    /// <summary>True when the body has no field at all.</summary>
    public bool IsEmpty => _fields.Count == 0;

    /// <summary>Whether the body has <paramref name="field"/>, and whether it is JSON null.</summary>
    public (bool Given, bool Null) Has(string field) =>
        _fields.TryGetValue(field, out var value) ? (true, value.ValueKind == JsonValueKind.Null) : (false, false);

    /// <summary>The body as one JSON object, for readers that check its fields themselves.</summary>
    public JsonElement AsObject() => JsonSerializer.SerializeToElement(_fields);

    /// <summary>An optional object field; null when absent or null, else a problem naming the field and value.</summary>
    public JsonElement? Nested(string field, ref IResult? problem)
    {
        if (problem is not null || !_fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            problem = ApiProblems.BadInput(field, value.GetRawText(), $"field '{field}': {value.GetRawText()} is not an object");
            return null;
        }

        return value;
    }

    private static string Excerpt(byte[] bytes)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 200));
        return bytes.Length > 200 ? text + "…" : text;
    }
}
