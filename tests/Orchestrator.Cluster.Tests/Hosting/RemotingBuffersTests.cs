using DotNetty.Buffers;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class RemotingBuffersTests
{
    [Fact]
    public void A_nodes_configuration_leaves_dotnetty_unpooled_for_the_connections_it_accepts()
    {
        Assert.NotNull(OrchestratorConfig.Build(new NodeSettings()));

        // Every remoting system of this process is built from OrchestratorConfig.Build, so DotNetty chose its default
        // allocator after the variable was set: the one the channels a node accepts use (Akka sets its own only on the
        // channels it opens and on the listening one).
        Assert.Equal("unpooled", Environment.GetEnvironmentVariable(RemotingBuffers.AllocatorVariable));
        Assert.IsType<UnpooledByteBufferAllocator>(ByteBufferUtil.DefaultAllocator);
    }
}
