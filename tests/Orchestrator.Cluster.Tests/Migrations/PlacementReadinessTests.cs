using Akka.Actor;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// <c>/readyz</c> asks the placement authority <see cref="PlacementProtocol.ProbeReady"/>: the answer must mean that a
/// placement would be answered too, so before the authority knows the directory the probe waits as a placement does.
/// </summary>
public sealed class PlacementReadinessTests : IAsyncDisposable
{
    private readonly ActorSystem _system = StandaloneSystem.Create("probe");

    public async ValueTask DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task The_authority_answers_the_readiness_probe_only_once_it_places()
    {
        // No host in the directory: the authority places only after its inventory wait.
        var wait = TimeSpan.FromSeconds(2);
        var authority = _system.ActorOf(PlacementAuthority.Props(ConcurrencyLimits.Default, TimeProvider.System, new PlacementAuthoritySettings { InventoryWait = wait }));
        var started = DateTimeOffset.UtcNow;

        await Assert.ThrowsAsync<AskTimeoutException>(() => authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromMilliseconds(500)));
        var ready = await authority.Ask<PlacementProtocol.AuthorityReady>(PlacementProtocol.ProbeReady.Instance, TimeSpan.FromSeconds(10));

        Assert.Equal(0, ready.Hosts);
        Assert.True(DateTimeOffset.UtcNow - started >= wait - TimeSpan.FromMilliseconds(100), "answered before the authority could place");
    }
}
