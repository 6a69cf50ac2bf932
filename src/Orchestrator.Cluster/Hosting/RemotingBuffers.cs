namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Makes remoting's inbound connections use DotNetty's unpooled buffer allocator, as its outbound ones do.
/// Akka.Remote sets <c>UnpooledByteBufferAllocator</c> on its client bootstrap and on its server's listening channel,
/// but not as a child option, so the connections a node accepts fall back to DotNetty's process-wide default: the
/// pooled allocator, whose arenas (twice the cores) each take 16 MiB chunks on the large-object heap as traffic
/// needs them. In the soak a node held one or two of them, which came and went between quiet samples of its heap.
/// DotNetty reads the choice from the process environment
/// (<c>io.netty.allocator.type</c>, its "system property") once, when it first allocates, so it must be set before
/// any remoting starts; <see cref="OrchestratorConfig.Build"/> calls this, and every node's configuration passes
/// through it before its actor system exists.
/// </summary>
public static class RemotingBuffers
{
    /// <summary>The environment variable DotNetty reads its default allocator from.</summary>
    public const string AllocatorVariable = "io.netty.allocator.type";

    /// <summary>
    /// Sets <see cref="AllocatorVariable"/> to <c>unpooled</c> unless the environment already chose ("pooled" is
    /// the operator's to set, as with any DotNetty property).
    /// </summary>
    public static void Ensure()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AllocatorVariable)))
        {
            Environment.SetEnvironmentVariable(AllocatorVariable, "unpooled");
        }
    }
}
