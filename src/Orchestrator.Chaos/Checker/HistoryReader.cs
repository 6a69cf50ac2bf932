using System.Text;
using System.Text.Json;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>
/// Reads history files and merges them by (t, node, seq). The last line of a file is skipped (and reported) when it
/// has no newline and does not parse: that is the line a killed writer was writing. Any other bad line throws
/// <see cref="HistoryFormatException"/>, because a writer never produces one. Blank lines are ignored.
/// </summary>
public static class HistoryReader
{
    /// <summary>Reads and merges the given files.</summary>
    public static HistoryReadResult ReadFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var records = new List<HistoryRecord>();
        var skipped = new List<SkippedLine>();
        foreach (var path in paths)
        {
            ReadText(path, File.ReadAllText(path, Encoding.UTF8), records, skipped);
        }

        return new HistoryReadResult(Merge(records), skipped);
    }

    /// <summary>Reads the history text of one file (<paramref name="path"/> names it in errors) and orders it.</summary>
    public static HistoryReadResult ReadText(string path, string text)
    {
        var records = new List<HistoryRecord>();
        var skipped = new List<SkippedLine>();
        ReadText(path, text, records, skipped);
        return new HistoryReadResult(Merge(records), skipped);
    }

    /// <summary>Orders records by (t, node, seq); stable for equal keys.</summary>
    public static IReadOnlyList<HistoryRecord> Merge(IEnumerable<HistoryRecord> records) =>
        [.. records.OrderBy(r => r, HistoryRecordComparer.Instance)];

    private static void ReadText(string path, string text, List<HistoryRecord> records, List<SkippedLine> skipped)
    {
        var lines = text.Split('\n');
        // Split leaves an empty last element when the text ends with a newline; otherwise the last element is
        // an unterminated line, the only place a torn write can be.
        var endsWithNewline = text.Length == 0 || text[^1] == '\n';
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                records.Add(HistoryJson.Deserialize(line));
            }
            catch (JsonException e)
            {
                var isTornTail = i == lines.Length - 1 && !endsWithNewline;
                if (!isTornTail)
                {
                    throw new HistoryFormatException(path, i + 1, e.Message, e);
                }

                skipped.Add(new SkippedLine(path, i + 1, line.Length > 200 ? line[..200] : line, e.Message));
            }
        }
    }
}
