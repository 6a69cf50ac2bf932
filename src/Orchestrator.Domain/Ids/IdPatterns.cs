using System.Text.RegularExpressions;

namespace Orchestrator.Domain.Ids;

/// <summary>The spelling rules of the ids, in one place.</summary>
internal static partial class IdPatterns
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    internal static partial Regex Host();

    [GeneratedRegex("^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]$", RegexOptions.CultureInvariant)]
    internal static partial Regex PciAddress();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    internal static partial Regex Workload();

    [GeneratedRegex("^[a-z0-9-]{3,64}$", RegexOptions.CultureInvariant)]
    internal static partial Regex Migration();
}
