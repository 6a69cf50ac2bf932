using System.Net;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

/// <summary><c>api.read-auth = on</c>: reads need the token too; health, metrics and the dashboard's files stay open.</summary>
public sealed class ReadAuthTests : IAsyncLifetime
{
    private readonly ApiNode _node = new() { Configure = o => o.ReadAuth = true };

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task Reads_without_the_token_are_401_with_it_200_and_the_event_stream_takes_it_in_the_query()
    {
        foreach (var path in new[] { "/api/v1/hosts", "/api/v1/migrations", "/api/v1/vfs/host-a/0000:3b:00.0/vf0", "/api/v1/evacuations" })
        {
            using var anonymous = await _node.SendAsync(HttpMethod.Get, path, auth: false);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var authorized = await _node.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        }

        // A wrong token is refused, and a token in the query is taken for a read, never echoed in an error.
        using (var wrong = await _node.SendAsync(HttpMethod.Get, $"/api/v1/migrations?{BearerAuth.QueryParameter}=not-the-token", auth: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.DoesNotContain("not-the-token", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var query = await _node.SendAsync(HttpMethod.Get, $"/api/v1/migrations?limit=5&{BearerAuth.QueryParameter}={ApiNode.Token}", auth: false))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var events = await _node.Client.SendAsync(
            new HttpRequestMessage(HttpMethod.Get, $"/api/v1/events?types=host&{BearerAuth.QueryParameter}={ApiNode.Token}"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        using (var anonymousEvents = await _node.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/events"), HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousEvents.StatusCode);
        }

        foreach (var open in new[] { "/healthz", "/livez", "/metrics", "/" })
        {
            using var response = await _node.SendAsync(HttpMethod.Get, open, auth: false);
            Assert.True(response.IsSuccessStatusCode, $"{open}: {(int)response.StatusCode}");
        }
    }
}
