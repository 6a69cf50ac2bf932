using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Orchestrator.Client;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>GET /events</c>: Server-Sent Events (<see cref="TypedResults.ServerSentEvents{T}(IAsyncEnumerable{SseItem{T}})"/>).
/// First the current hosts and migrations, then every change, as <c>event: host</c> / <c>event: migration</c> /
/// <c>event: leftover</c> with the resource as <c>data</c>; <c>event: heartbeat</c> (no data, which browsers do not
/// dispatch) every heartbeat keeps proxies from closing the stream. A migration event's <c>id</c> is the journal
/// ordering of the migration event it shows: the same on every node and across restarts, so a client that reconnects
/// with <c>Last-Event-ID</c> gets each migration that changed since, once, as it is now, and then every change (no
/// current state again, nothing repeated). <c>?migration=</c>, <c>?host=</c> and <c>?types=</c> narrow it (see
/// <see cref="EventFilter"/>). A client that falls more than <see cref="ClusterFeed.Capacity"/> changes behind gets
/// <c>event: overflow</c> (how many were dropped) followed by the current state again, never a silent gap.
/// </summary>
public static class EventEndpoints
{
    /// <summary>The header a reconnecting client names its last event with (the SSE standard's).</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    private static readonly SseItem<string> Heartbeat = new(string.Empty, "heartbeat") { ReconnectionInterval = TimeSpan.FromSeconds(1) };

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/events", Stream).WithName("Events")
            .WithDescription("Server-Sent Events: the current hosts and migrations, then every change (event: host | migration | leftover, data: the resource; event: heartbeat carries no data). A migration event's id is the journal ordering of the event it shows, the same on every node and across restarts: reconnect with the Last-Event-ID header to get each migration that changed since, once, as it is now, then every change. Query: migration (one migration and its leftovers), host (the host, migrations from or to it, its leftovers), types (comma-separated: host, migration, leftover). A client that falls behind gets event: overflow {dropped} and then the current state again.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(400);
    }

    private static IResult Stream(HttpContext http, ClusterFeed feed, IOptions<NodeOptions> options, TimeProvider time)
    {
        if (!EventFilter.TryParse(http.Request.Query, out var filter, out var problem))
        {
            return problem!;
        }

        long? after = null;
        if (http.Request.Headers.TryGetValue(LastEventIdHeader, out var lastEventId) && !string.IsNullOrEmpty(lastEventId.ToString()))
        {
            var text = lastEventId.ToString();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return ApiProblems.BadInput(LastEventIdHeader, text, $"{LastEventIdHeader}: '{text}' is not an event id of GET /events (a non-negative integer: the id of the last event received)");
            }

            after = position;
        }

        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(EventsAsync(feed, filter, after, options.Value.SseHeartbeat, time, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(
        ClusterFeed feed, EventFilter filter, long? after, TimeSpan heartbeat, TimeProvider time, [EnumeratorCancellation] CancellationToken ct)
    {
        yield return Heartbeat; // the headers go out at once, also when nothing matches for a while
        if (!await StartedAsync(feed, ct))
        {
            yield break;
        }

        // Migration events at or below this position are the client's already (or in the current state sent).
        long seen;
        Channel<FeedEvent> channel;
        IReadOnlyList<FeedEvent> first = [];
        if (after is { } resumeAfter && feed.Durable)
        {
            (channel, var position) = feed.Resume();
            seen = Math.Max(resumeAfter, position);
            var (changed, events) = await ChangedAsync(feed, resumeAfter, position, ct);
            if (events is null)
            {
                (first, seen) = feed.Current();
                yield return Overflow(changed, $"{changed} migrations changed since event {resumeAfter}, more than one resume replays; the current state follows");
            }
            else
            {
                first = events;
            }
        }
        else
        {
            channel = feed.Subscribe();
            seen = -1; // the current state comes through the channel, at the feed's position
        }

        try
        {
            foreach (var e in first.Where(filter.Matches))
            {
                yield return Item(e);
            }

            while (await WaitAsync(channel.Reader, heartbeat, time, ct) is var more && more != false)
            {
                if (more is null)
                {
                    yield return Heartbeat;
                    continue;
                }

                while (channel.Reader.TryRead(out var e))
                {
                    if (e.Position is not { } p || p > seen)
                    {
                        if (filter.Matches(e))
                        {
                            yield return Item(e);
                        }
                    }
                }

                if (feed.TakeDropped(channel) is > 0 and var dropped)
                {
                    // Fell behind: say so, then everything as it is now, so the client is whole again.
                    yield return Overflow(dropped, $"{dropped} change(s) were dropped because this client read too slowly; the current state follows");
                    (var current, seen) = feed.Current();
                    foreach (var e in current.Where(filter.Matches))
                    {
                        yield return Item(e);
                    }
                }
            }
        }
        finally
        {
            feed.Unsubscribe(channel);
        }
    }

    // True: events to read; null: the heartbeat interval passed; false: the client left or the feed ended.
    private static async Task<bool?> WaitAsync(ChannelReader<FeedEvent> reader, TimeSpan heartbeat, TimeProvider time, CancellationToken ct)
    {
        try
        {
            return await reader.WaitToReadAsync(ct).AsTask().WaitAsync(heartbeat, time, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<bool> StartedAsync(ClusterFeed feed, CancellationToken ct)
    {
        try
        {
            await feed.Started.WaitAsync(ct);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<(int Changed, IReadOnlyList<FeedEvent>? Events)> ChangedAsync(ClusterFeed feed, long after, long upTo, CancellationToken ct)
    {
        try
        {
            return await feed.ChangedAsync(after, upTo, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (0, []);
        }
    }

    private static SseItem<string> Item(FeedEvent e) =>
        new(JsonSerializer.Serialize(e.Resource, e.Resource.GetType(), ApiJson.Options), e.Kind)
        {
            EventId = e.Position?.ToString(CultureInfo.InvariantCulture),
        };

    private static SseItem<string> Overflow(int dropped, string detail) =>
        new(JsonSerializer.Serialize(new OverflowResource(dropped, detail), ApiJson.Options), "overflow");
}

/// <summary>The data of <c>event: overflow</c>: how many changes this client missed, and that the current state follows.</summary>
public sealed record OverflowResource(int Dropped, string Detail);

/// <summary>
/// The filters of <c>GET /events</c>, each optional: <c>migration</c> (that migration and the leftovers cleaned for it),
/// <c>host</c> (that host, the migrations from or to it, the leftovers cleaned on it), <c>types</c> (comma-separated
/// kinds: <c>host</c>, <c>migration</c>, <c>leftover</c>). An unknown, repeated or bad parameter is a 400 naming it.
/// </summary>
public sealed record EventFilter(string? Migration, string? Host, IReadOnlySet<string>? Types)
{
    /// <summary>The kinds of events.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["host", "migration", "leftover"];

    private static readonly string[] Parameters = ["migration", "host", "types"];

    public static bool TryParse(IQueryCollection query, out EventFilter filter, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        filter = new EventFilter(null, null, null);
        problem = null;
        // The token of a read (api.read-auth) may come as access_token: not a filter, and never echoed.
        if (query.Keys.FirstOrDefault(k => !Parameters.Contains(k, StringComparer.Ordinal) && k != BearerAuth.QueryParameter) is { } unknown)
        {
            problem = ApiProblems.BadInput(unknown, query[unknown].ToString(), $"{unknown}='{query[unknown]}': {unknown} is not a parameter of GET /events (known: {string.Join(", ", Parameters)})");
            return false;
        }

        if (query.Keys.FirstOrDefault(k => query[k].Count > 1) is { } repeated)
        {
            problem = ApiProblems.BadInput(repeated, query[repeated].ToString(), $"{repeated}: given {query[repeated].Count} times ('{query[repeated]}'); give it once");
            return false;
        }

        string? migration = null;
        if (query.TryGetValue("migration", out var migrationText))
        {
            if (!ApiIds.TryMigration("migration", migrationText.ToString(), out var id, out problem))
            {
                return false;
            }

            migration = id.Value;
        }

        string? host = null;
        if (query.TryGetValue("host", out var hostText))
        {
            if (!ApiIds.TryHost("host", hostText.ToString(), out var id, out problem))
            {
                return false;
            }

            host = id.Value;
        }

        HashSet<string>? types = null;
        if (query.TryGetValue("types", out var typesText))
        {
            types = [];
            foreach (var kind in typesText.ToString().Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Kinds.Contains(kind, StringComparer.Ordinal))
                {
                    problem = ApiProblems.BadInput("types", kind, $"types: '{kind}' is not an event kind ({string.Join(", ", Kinds)})");
                    return false;
                }

                types.Add(kind);
            }
        }

        filter = new EventFilter(migration, host, types);
        return true;
    }

    /// <summary>Whether <paramref name="e"/> passes every filter given.</summary>
    public bool Matches(FeedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return (Types is null || Types.Contains(e.Kind))
            && (Migration is null || e.Resource switch
            {
                ApiMigration m => m.Id == Migration,
                CleanedLeftoverResource l => l.Migration == Migration,
                _ => false,
            })
            && (Host is null || e.Resource switch
            {
                HostResource h => h.Id == Host,
                ApiMigration m => m.Source == Host || m.Target == Host,
                CleanedLeftoverResource l => l.Host == Host,
                _ => false,
            });
    }
}
