using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>GET /events</c>: Server-Sent Events. First the current hosts and migrations, then every change, as
/// <c>event: host</c> / <c>event: migration</c> / <c>event: leftover</c> with the resource as <c>data</c>; a comment line every heartbeat keeps
/// proxies from closing the stream. <c>?migration=</c>, <c>?host=</c> and <c>?types=</c> narrow it (see
/// <see cref="EventFilter"/>). A client that falls more than <see cref="ClusterFeed.Capacity"/> changes behind gets
/// <c>event: overflow</c> (how many were dropped) followed by the current state again, never a silent gap.
/// </summary>
public static class EventEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/events", StreamAsync).WithName("Events")
            .WithDescription("Server-Sent Events: the current hosts and migrations, then every change (event: host | migration | leftover, data: the resource). Query: migration (one migration and its leftovers), host (the host, migrations from or to it, its leftovers), types (comma-separated: host, migration, leftover). A client that falls behind gets event: overflow {dropped} and then the current state again. Ids count the events of one connection; a reconnect starts again with the current state.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(400);
    }

    private static async Task StreamAsync(HttpContext http, ClusterFeed feed, IOptions<NodeOptions> options, TimeProvider time)
    {
        var ct = http.RequestAborted;
        if (!EventFilter.TryParse(http.Request.Query, out var filter, out var problem))
        {
            await problem!.ExecuteAsync(http);
            return;
        }

        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync(": orchestrator events\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        var channel = feed.Subscribe();
        long sequence = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                bool more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(ct).AsTask().WaitAsync(options.Value.SseHeartbeat, time, ct);
                }
                catch (TimeoutException)
                {
                    await http.Response.WriteAsync(": heartbeat\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    continue;
                }

                if (!more)
                {
                    break;
                }

                while (channel.Reader.TryRead(out var e))
                {
                    if (filter.Matches(e))
                    {
                        await WriteAsync(http, e.Kind, ++sequence, e.Resource, ct);
                    }
                }

                if (feed.TakeDropped(channel) is > 0 and var dropped)
                {
                    // Fell behind: say so, then everything as it is now, so the client is whole again.
                    await WriteAsync(http, "overflow", ++sequence, new { dropped, detail = $"{dropped} change(s) were dropped because this client read too slowly; the current state follows" }, ct);
                    foreach (var e in feed.Current().Where(filter.Matches))
                    {
                        await WriteAsync(http, e.Kind, ++sequence, e.Resource, ct);
                    }
                }

                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            feed.Unsubscribe(channel);
        }
    }

    private static Task WriteAsync(HttpContext http, string kind, long id, object data, CancellationToken ct) =>
        http.Response.WriteAsync(
            string.Create(CultureInfo.InvariantCulture, $"event: {kind}\nid: {id}\ndata: {JsonSerializer.Serialize(data, data.GetType(), ApiJson.Options)}\n\n"), ct);
}

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
        if (query.Keys.FirstOrDefault(k => !Parameters.Contains(k, StringComparer.Ordinal)) is { } unknown)
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
                MigrationResource m => m.Id == Migration,
                CleanedLeftoverResource l => l.Migration == Migration,
                _ => false,
            })
            && (Host is null || e.Resource switch
            {
                HostResource h => h.Id == Host,
                MigrationResource m => m.Source == Host || m.Target == Host,
                CleanedLeftoverResource l => l.Host == Host,
                _ => false,
            });
    }
}
