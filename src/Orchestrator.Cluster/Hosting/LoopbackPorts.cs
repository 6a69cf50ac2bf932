using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Cluster.Hosting;

/// <summary>TCP ports on 127.0.0.1 for nodes started on one machine (demo, chaos harness, benchmarks, tests).</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports free now (held together while chosen, so none repeats), none of them in
    /// <paramref name="except"/>: ports a caller chose earlier but does not hold yet (a cluster's API ports) are free to
    /// the kernel, which hands a port just released out again; a node whose remoting took its own API port never started.
    /// </summary>
    public static IReadOnlyList<int> Free(int count, IReadOnlySet<int>? except = null)
    {
        var held = new List<TcpListener>();
        try
        {
            var ports = new List<int>(count);
            // Bounded: the kernel's ephemeral range holds thousands of ports, `except` a handful.
            for (var attempt = 0; ports.Count < count; attempt++)
            {
                if (attempt >= count + 1000)
                {
                    throw new InvalidOperationException($"no {count} free ports on 127.0.0.1 outside {string.Join(", ", except ?? new HashSet<int>())}");
                }

                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (except is null || !except.Contains(port))
                {
                    ports.Add(port);
                }
            }

            return ports;
        }
        finally
        {
            held.ForEach(l => l.Stop());
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
