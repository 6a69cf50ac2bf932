using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class LoopbackPortsTests
{
    [Fact]
    public void Ports_chosen_earlier_but_not_held_are_never_handed_out_again()
    {
        // What LocalCluster does: API ports chosen first (free, not held), then the remoting and management ports. The
        // kernel hands a port it just released out again, so without the exclusion the two sets met (a node's
        // remoting bound its own API port and the node never started).
        var earlier = LoopbackPorts.Free(64).ToHashSet();

        for (var round = 0; round < 20; round++)
        {
            var ports = LoopbackPorts.Free(8, earlier);

            Assert.Equal(8, ports.Distinct().Count());
            Assert.DoesNotContain(ports, earlier.Contains);
        }
    }
}
