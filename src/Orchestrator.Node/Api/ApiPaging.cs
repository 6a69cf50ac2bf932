using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Orchestrator.Node.Api;

/// <summary>A page of a list: the items and the cursor of the next page (null on the last page).</summary>
public sealed record ApiPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Paging of the API's lists (<c>GET /migrations</c>, <c>GET /evacuations</c>): items in creation order, then id, with
/// <c>limit</c> (1–1000, 100 by default) and an opaque <c>cursor</c>. Ordering by a key that never changes keeps paging
/// stable while items are added: a page never repeats one, and one listed when paging began is never skipped.
/// </summary>
public static class ApiPaging
{
    /// <summary>Page size when the request names none.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest page a request may ask for.</summary>
    public const int MaxLimit = 1000;

    /// <summary>
    /// Reads what every list shares: no unknown or repeated parameter (a misspelt filter must not answer the unfiltered
    /// list), <c>limit</c> and <c>cursor</c>. On a bad value, <paramref name="problem"/> is the 400 naming it.
    /// </summary>
    public static bool TryRead(IQueryCollection query, string endpoint, IReadOnlyList<string> filters, out int limit, out ListCursor? after, out IResult? problem)
    {
        after = null;
        if (!TryReadLimit(query, endpoint, filters, out limit, out var cursorText, out problem))
        {
            return false;
        }

        if (cursorText is not null)
        {
            if (!ListCursor.TryParse(cursorText, out var cursor))
            {
                problem = BadCursor(cursorText);
                return false;
            }

            after = cursor;
        }

        return true;
    }

    /// <summary>
    /// <see cref="TryRead"/> for a list whose cursor is not a <see cref="ListCursor"/>: <paramref name="cursor"/> is the
    /// <c>cursor</c> parameter as given (null when absent), for the list to read (and answer <see cref="BadCursor"/>).
    /// </summary>
    public static bool TryReadLimit(IQueryCollection query, string endpoint, IReadOnlyList<string> filters, out int limit, out string? cursor, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        limit = DefaultLimit;
        cursor = null;
        problem = null;
        string[] known = [.. filters, "limit", "cursor", BearerAuth.QueryParameter]; // access_token: a read's token (api.read-auth)
        if (query.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            problem = ApiProblems.BadInput(unknown, query[unknown].ToString(), $"{unknown}='{query[unknown]}': {unknown} is not a parameter of {endpoint} (known: {string.Join(", ", known)})");
            return false;
        }

        if (query.Keys.FirstOrDefault(k => k != "state" && query[k].Count > 1) is { } repeated)
        {
            problem = ApiProblems.BadInput(repeated, query[repeated].ToString(), $"{repeated}: given {query[repeated].Count} times ('{query[repeated]}'); give it once");
            return false;
        }

        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            problem = ApiProblems.BadInput("limit", limitText.ToString(), $"limit: '{limitText}' is not a whole number from 1 to {MaxLimit}");
            return false;
        }

        if (query.TryGetValue("cursor", out var cursorText))
        {
            cursor = cursorText.ToString();
        }

        return true;
    }

    /// <summary>The 400 of a <c>cursor</c> that is not one this list gave out.</summary>
    public static IResult BadCursor(string text) =>
        ApiProblems.BadInput("cursor", text, $"cursor: '{text}' is not a nextCursor this API gave out");

    /// <summary>
    /// Reads a <c>state</c> filter: comma-separated names out of <paramref name="names"/> in any case (also given more
    /// than once), or null when the query has none.
    /// </summary>
    public static bool TryReadStates(IQueryCollection query, IReadOnlyList<string> names, out IReadOnlySet<string>? states, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        states = null;
        problem = null;
        if (!query.TryGetValue("state", out var texts))
        {
            return true;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in texts.SelectMany(t => (t ?? "").Split(',', StringSplitOptions.TrimEntries)))
        {
            var known = names.FirstOrDefault(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                problem = ApiProblems.BadInput("state", name, $"state: '{name}' is not one of {string.Join(", ", names)}");
                return false;
            }

            set.Add(known);
        }

        states = set;
        return true;
    }

    /// <summary>The page of <paramref name="items"/> after <paramref name="after"/>, at most <paramref name="limit"/> long.</summary>
    public static ApiPage<T> Page<T>(IEnumerable<T> items, Func<T, DateTimeOffset> createdAt, Func<T, string> id, int limit, ListCursor? after)
    {
        ArgumentNullException.ThrowIfNull(items);
        var page = items
            .Where(i => after is not { } cursor || cursor.IsBefore(createdAt(i), id(i)))
            .OrderBy(createdAt)
            .ThenBy(id, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        if (page.Count <= limit)
        {
            return new ApiPage<T>(page, null);
        }

        page.RemoveAt(limit);
        return new ApiPage<T>(page, new ListCursor(createdAt(page[^1]).UtcTicks, id(page[^1])).ToString());
    }
}

/// <summary>
/// Where a page ended: the creation time and id of its last item. Opaque to clients (base64url of
/// <c>v1|ticks|id</c>), so that its shape can change under a new version prefix.
/// </summary>
public readonly record struct ListCursor(long CreatedAtTicks, string Id)
{
    private const string Version = "v1";

    /// <summary>True when an item created at <paramref name="createdAt"/> with <paramref name="id"/> comes after this cursor.</summary>
    public bool IsBefore(DateTimeOffset createdAt, string id)
    {
        var ticks = createdAt.UtcTicks;
        return ticks > CreatedAtTicks || (ticks == CreatedAtTicks && string.CompareOrdinal(id, Id) > 0);
    }

    public static bool TryParse(string? text, out ListCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 512 || !Base64Url.IsValid(text))
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('|');
        if (parts.Length != 3 || parts[0] != Version
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || parts[2].Length is 0 or > 200
            || !parts[2].All(c => c is > ' ' and < (char)127))
        {
            return false;
        }

        cursor = new ListCursor(ticks, parts[2]);
        return true;
    }

    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}|{CreatedAtTicks}|{Id}")));
}
