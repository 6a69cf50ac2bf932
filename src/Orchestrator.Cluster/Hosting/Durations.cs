using System.Globalization;
using Akka.Configuration;

namespace Orchestrator.Cluster.Hosting;

/// <summary>The one reader of durations written by people: config files and command-line options.</summary>
public static class Durations
{
    /// <summary>Parses a HOCON duration (<c>500ms</c>, <c>3s</c>, <c>1m</c>) or a .NET TimeSpan (<c>00:00:03</c>); null when it is neither.</summary>
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && text.Contains(':', StringComparison.Ordinal))
        {
            return span;
        }

        try
        {
            return ConfigurationFactory.ParseString("d = " + text).GetTimeSpan("d", null, allowInfinite: false);
        }
#pragma warning disable CA1031 // Any parse failure means "not a duration".
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
