using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace Orchestrator.Node.Tracing;

/// <summary>
/// Appends every finished span to a file as one JSON object per line (<c>tracing.file</c>): the demo's and the tests'
/// exporter, readable without a collector. Several processes may append to one file: each line is written whole.
/// </summary>
public sealed class JsonFileSpanExporter : BaseExporter<Activity>
{
    private readonly StreamWriter _writer;
    private readonly string _node;
    private readonly Lock _gate = new();

    public JsonFileSpanExporter(string path, string node)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        _node = node;
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        lock (_gate)
        {
            foreach (var span in batch)
            {
                _writer.WriteLine(Line(span));
            }
        }

        return ExportResult.Success;
    }

    /// <summary>One span as the file holds it.</summary>
    public string Line(Activity span)
    {
        ArgumentNullException.ThrowIfNull(span);
        var attributes = span.TagObjects.ToDictionary(t => t.Key, t => t.Value);
        return JsonSerializer.Serialize(new
        {
            traceId = span.TraceId.ToHexString(),
            spanId = span.SpanId.ToHexString(),
            parentSpanId = span.ParentSpanId == default ? null : span.ParentSpanId.ToHexString(),
            name = span.DisplayName,
            kind = span.Kind.ToString(),
            start = span.StartTimeUtc,
            durationMs = span.Duration.TotalMilliseconds,
            status = span.Status.ToString(),
            statusDescription = span.StatusDescription,
            node = _node,
            attributes,
        });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Dispose();
        }

        base.Dispose(disposing);
    }
}
