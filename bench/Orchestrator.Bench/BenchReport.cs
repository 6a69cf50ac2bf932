using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Bench;

/// <summary>The figures of one run: each key with its value, target, verdict and how it was measured; plus notes.</summary>
internal sealed class BenchReport(TextWriter log)
{
    private readonly List<Figure> _figures = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(string key, double value, string target, Func<double, bool> met, string how)
    {
        var figure = new Figure(key, value, target, !double.IsNaN(value) && met(value), how);
        _figures.Add(figure);
        log.WriteLine($"  {key} = {Stats.F(value, "0.###")} (target {target}: {(figure.Met ? "met" : "MISSED")}) — {how}");
    }

    /// <summary>A line of progress for the one watching a long run: printed, not kept in the report.</summary>
    public void Progress(string text) => log.WriteLine("    " + text);

    public void Note(string text)
    {
        _notes.Add(text);
        log.WriteLine("  · " + text);
    }

    public void Failed(string key, Exception e)
    {
        if (_figures.Any(f => f.Key == key))
        {
            // The group's first figure is in; what failed is a later one (the group reports it as not measured).
            Note($"{key} group failed after its first figure: {e.GetType().Name}: {e.Message}");
            return;
        }

        _figures.Add(new Figure(key, double.NaN, "", false, $"failed: {e.GetType().Name}: {e.Message}"));
        log.WriteLine($"  {key}: FAILED {e.GetType().Name}: {e.Message}");
    }

    public string Table(string header)
    {
        var lines = new List<string>
        {
            header,
            "",
            "| key | value | target | met | how |",
            "| --- | ---: | --- | --- | --- |",
        };
        lines.AddRange(_figures.Select(f => $"| `{f.Key}` | {Stats.F(f.Value, "0.###")} | {f.Target} | {(f.Met ? "yes" : "**no**")} | {f.How} |"));
        if (_notes.Count > 0)
        {
            lines.Add("");
            lines.AddRange(_notes.Select(n => "- " + n));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>One JSON object: every key → number (null when it could not be measured).</summary>
    public string Json()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (var f in _figures)
            {
                if (double.IsFinite(f.Value))
                {
                    writer.WriteNumber(f.Key, Math.Round(f.Value, 4));
                }
                else
                {
                    writer.WriteNull(f.Key);
                }
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public sealed record Figure(string Key, double Value, string Target, bool Met, string How)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Key}={Value}");
    }
}
