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
    public IReadOnlyList<string> Expired(IEnumerable<MigrationView> views, DateTimeOffset now) =>
        Expired(views, v => v.IsTerminal, v => v.UpdatedAt, v => v.Id.ToString(), now);

    /// <summary>The ids of the ended items of <paramref name="items"/> that leave their index now (evacuations too).</summary>
    public IReadOnlyList<string> Expired<T>(IEnumerable<T> items, Func<T, bool> ended, Func<T, DateTimeOffset> updatedAt, Func<T, string> id, DateTimeOffset now)
    {
        // Newest first; an ended item's UpdatedAt is when it ended.
        var done = items.Where(ended).OrderByDescending(updatedAt).ThenBy(id, StringComparer.Ordinal).ToList();
        return [.. done.Where((v, i) => i >= MaxEnded || now - updatedAt(v) > Window).Select(id)];
    }
}
