using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Cluster.Hosting;

/// <summary>TCP ports on 127.0.0.1 for nodes started on one machine (demo, chaos harness, benchmarks, tests).</summary>
public static class LoopbackPorts
{
    /// <summary><paramref name="count"/> distinct ports free now (held together while chosen, so none repeats).</summary>
    public static IReadOnlyList<int> Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>Whether something listens on <paramref name="port"/> of 127.0.0.1 now.</summary>
    public static bool InUse(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
