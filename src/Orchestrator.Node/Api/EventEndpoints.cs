using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>GET /events</c>: Server-Sent Events. First the current hosts and migrations, then every change, as
/// <c>event: host</c> / <c>event: migration</c> / <c>event: leftover</c> with the resource as <c>data</c>; a comment line every heartbeat keeps
/// proxies from closing the stream.
/// </summary>
public static class EventEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/events", StreamAsync).WithName("Events").Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    private static async Task StreamAsync(HttpContext http, ClusterFeed feed, IOptions<NodeOptions> options, TimeProvider time)
    {
        var ct = http.RequestAborted;
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
                    sequence++;
                    var data = JsonSerializer.Serialize(e.Resource, e.Resource.GetType(), ApiJson.Options);
                    await http.Response.WriteAsync(
                        string.Create(CultureInfo.InvariantCulture, $"event: {e.Kind}\nid: {sequence}\ndata: {data}\n\n"), ct);
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
}
