using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>Three nodes with the same static seed list, as the demo, the chaos harness and deploy/ write it.</summary>
public sealed class ClusterBootstrapTests : IAsyncDisposable
{
    private readonly List<ActorSystem> _systems = [];
    private readonly IReadOnlyList<int> _ports = LoopbackPorts.Free(3);

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _systems)
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task A_cold_start_forms_one_cluster_and_a_first_seed_back_after_a_crash_joins_it()
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Task.Run(() => Start(i))));
        await AwaitMembersAsync(nodes, 3, TimeSpan.FromSeconds(40));

        // node-1, the first seed, dies without leaving; it comes back on the same address while the others still
        // count its old incarnation as a member. (Akka's own first-seed rule formed a cluster of its own here when the
        // others' answers were lost for 5 s under load, as in a chaos run; this test does not provoke that loss.)
        await Crash(nodes[0]);
        var back = Start(0);

        await AwaitMembersAsync([back, nodes[1], nodes[2]], 3, TimeSpan.FromSeconds(60));
        var members = Akka.Cluster.Cluster.Get(back).State.Members.Select(m => m.UniqueAddress).ToHashSet();
        Assert.Contains(Akka.Cluster.Cluster.Get(nodes[1]).SelfUniqueAddress, members);
        Assert.Contains(Akka.Cluster.Cluster.Get(back).SelfUniqueAddress, Akka.Cluster.Cluster.Get(nodes[1]).State.Members.Select(m => m.UniqueAddress));
    }

    [Fact]
    public async Task A_first_seed_whose_other_seeds_never_answer_forms_a_cluster_after_the_window_and_not_before()
    {
        var started = DateTime.UtcNow;
        var alone = Start(0, formAfter: TimeSpan.FromSeconds(4)); // node-2 and node-3 are never started

        await AwaitMembersAsync([alone], 1, TimeSpan.FromSeconds(20));

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(4), "formed before the window ended");
    }

    private ActorSystem Start(int index, TimeSpan? formAfter = null)
    {
        var settings = new NodeSettings
        {
            NodeName = $"node-{index + 1}",
            Port = _ports[index],
            Persistence = PersistenceProvider.InMemory,
            AcceptableHeartbeatPause = TimeSpan.FromSeconds(3),
            DowningStableAfter = TimeSpan.FromSeconds(2),
        };
        var config = ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off")
            .WithFallback(OrchestratorConfig.Build(settings));
        var system = ActorSystem.Create(ClusterRoles.SystemName, config);
        _systems.Add(system);
        ClusterBootstrap.Join(system, [.. _ports.Select(p => new Address("akka.tcp", ClusterRoles.SystemName, "127.0.0.1", p))], formAfter);
        return system;
    }

    private async Task Crash(ActorSystem system)
    {
        // No leave, no coordinated shutdown: to the others it is a node that stopped answering.
        _systems.Remove(system);
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static async Task AwaitMembersAsync(IReadOnlyList<ActorSystem> systems, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var views = systems.Select(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)).ToList();
            if (views.All(v => v == count))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"members Up as each node sees them: {string.Join(", ", views)}; expected {count} everywhere");
            await Task.Delay(200);
        }
    }
}
