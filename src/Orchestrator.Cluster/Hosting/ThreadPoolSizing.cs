namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Raises the .NET thread pool's minimum worker count before a node starts. Akka's dispatchers run on the same pool
/// as the work that blocks a thread for long stretches: the SQLite provider commits synchronously (fsync, and a
/// sleep-and-retry loop while another writer holds the file), and the simulated devices hash and copy state
/// synchronously. With the default minimum (one thread per core: two here) actor messages queued behind that work
/// and the pool added threads at about two a second, so asks and step timers went unanswered for tens of seconds
/// under load. Threads above the minimum cost nothing until they are needed.
/// </summary>
public static class ThreadPoolSizing
{
    /// <summary>The minimum worker (and completion-port) threads a node runs with: 16 per core, at least 32.</summary>
    public static int MinimumThreads { get; } = Math.Max(32, 16 * Environment.ProcessorCount);

    /// <summary>Raises the minimums to <see cref="MinimumThreads"/>; never lowers what the process already set.</summary>
    public static void Ensure()
    {
        ThreadPool.GetMinThreads(out var workers, out var completion);
        if (workers < MinimumThreads || completion < MinimumThreads)
        {
            ThreadPool.SetMinThreads(Math.Max(workers, MinimumThreads), Math.Max(completion, MinimumThreads));
        }
    }
}
