using System.Globalization;
using Orchestrator.Cluster.Migrations;

namespace Orchestrator.Bench;

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string F(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Milliseconds between two checkpoints of a migration (the last time each state was entered).</summary>
    public static double Between(MigrationView view, string from, string to)
    {
        var a = view.Timeline.LastOrDefault(c => c.State.ToString() == from);
        var b = view.Timeline.LastOrDefault(c => c.State.ToString() == to);
        return a is null || b is null ? double.NaN : (b.At - a.At).TotalMilliseconds;
    }

    /// <summary>Median milliseconds of each step between consecutive checkpoints, over several migrations.</summary>
    public static string Breakdown(IReadOnlyList<MigrationView> views)
    {
        if (views.Count == 0)
        {
            return "";
        }

        var steps = views[0].Timeline.Select(c => c.State.ToString()).ToList();
        var parts = new List<string>();
        for (var i = 1; i < steps.Count; i++)
        {
            var from = steps[i - 1];
            var to = steps[i];
            parts.Add($"{from}→{to} {F(Median(views.Select(v => Between(v, from, to))), "0.0")}");
        }

        return string.Join(", ", parts) + " (ms, median)";
    }
}
