using Akka.DistributedData;

namespace Orchestrator.Cluster.Migrations;

/// <summary>The replicated index of migrations (their latest view), for listing and live updates.</summary>
public static class MigrationIndex
{
    public static LWWDictionaryKey<string, MigrationView> Key { get; } = new("orchestrator-migrations");
}

/// <summary>
/// How long the replicated index lists ended migrations: for <see cref="Window"/> after they ended, and never more than
/// <see cref="MaxEnded"/> of them (the newest stay). In-flight migrations are always listed.
/// </summary>
public sealed record IndexRetention(TimeSpan Window, int MaxEnded)
{
    /// <summary>24 hours, at most 10 000 ended migrations.</summary>
    public static IndexRetention Default { get; } = new(TimeSpan.FromHours(24), 10_000);

    /// <summary>The ids of the ended migrations of <paramref name="views"/> that leave the index now.</summary>
    public IReadOnlyList<string> Expired(IEnumerable<MigrationView> views, DateTimeOffset now)
    {
        // Newest first; an ended view's UpdatedAt is when it ended.
        var ended = views.Where(v => v.IsTerminal).OrderByDescending(v => v.UpdatedAt).ThenBy(v => v.Id.ToString(), StringComparer.Ordinal).ToList();
        return [.. ended.Where((v, i) => i >= MaxEnded || now - v.UpdatedAt > Window).Select(v => v.Id.ToString())];
    }
}
