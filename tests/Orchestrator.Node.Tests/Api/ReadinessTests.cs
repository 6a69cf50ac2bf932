using System.Net;
using Akka.Actor;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// <c>/readyz</c> says when a host of this node cannot run migrations. Its own node: the test stops a host actor, which
/// the shared <see cref="ApiNode"/> must keep.
/// </summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private readonly ApiNode _node = new();

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task A_node_whose_host_actor_stopped_is_not_ready_and_says_which_host()
    {
        using (var ready = await _node.SendAsync(HttpMethod.Get, "/readyz", auth: false))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // Nothing restarts a stopped actor; before, /readyz still said ready while host-b could run nothing.
        var host = _node.Node.Runtime!.Hosts[HostId.Parse("host-b", null)];
        await host.GracefulStop(TimeSpan.FromSeconds(10));

        using var notReady = await _node.SendAsync(HttpMethod.Get, "/readyz", auth: false);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var problem = await notReady.Content.ReadAsStringAsync();
        Assert.Contains("host host-b did not answer", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("host-a", problem, StringComparison.Ordinal);
    }
}
