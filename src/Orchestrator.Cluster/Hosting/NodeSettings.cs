namespace Orchestrator.Cluster.Hosting;

/// <summary>What one node process needs to join a cluster. Validated by <see cref="Validate"/> before anything starts.</summary>
public sealed record NodeSettings
{
    /// <summary>The name of this node (matches <c>node:</c> of hosts in the topology).</summary>
    public string NodeName { get; init; } = "node-1";

    /// <summary>Address the remoting binds to.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>Remoting port; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Seed node addresses (<c>akka.tcp://orchestrator@host:port</c>); empty = join yourself (first node).</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>Cluster roles. <c>coordinator</c> runs migration coordinators; <c>hosts</c> runs device hosts.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [ClusterRoles.Coordinator, ClusterRoles.Hosts];

    /// <summary>Journal provider.</summary>
    public PersistenceProvider Persistence { get; init; } = PersistenceProvider.Sqlite;

    /// <summary>Connection string for SQLite or PostgreSQL (ignored in memory).</summary>
    public string ConnectionString { get; init; } = "Data Source=orchestrator.db";

    /// <summary>
    /// SQLite only: fsync every commit (<c>synchronous=FULL</c>) so that the last checkpoints also survive a power loss.
    /// Off by default: the embedded journal runs WAL with <c>synchronous=NORMAL</c>, which survives a crash or kill of
    /// the process (not of the OS) at a fraction of the cost (see <c>SqliteCommitInterceptor</c>). Several hosts use
    /// PostgreSQL, whose durability is the server's setting.
    /// </summary>
    public bool SqliteFullSync { get; init; }

    /// <summary>How long a silent node may pause before it is unreachable (failure detector).</summary>
    public TimeSpan AcceptableHeartbeatPause { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long membership must be stable before the split-brain resolver downs unreachable nodes.</summary>
    public TimeSpan DowningStableAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Extra HOCON appended last (for operators and tests).</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>Every problem, each naming the key and the bad value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(NodeName) || NodeName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add($"node.name: '{NodeName}' must be letters, digits, '-', '_' or '.'");
        }

        if (string.IsNullOrWhiteSpace(Hostname))
        {
            errors.Add($"node.hostname: '{Hostname}' is empty");
        }

        if (Port is < 0 or > 65535)
        {
            errors.Add($"node.port: {Port} is not a TCP port (0-65535)");
        }

        foreach (var seed in SeedNodes)
        {
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.Port <= 0 || uri.UserInfo != ClusterRoles.SystemName)
            {
                errors.Add($"cluster.seed-nodes: '{seed}' is not akka.tcp://{ClusterRoles.SystemName}@host:port");
            }
        }

        foreach (var role in Roles)
        {
            if (role is not (ClusterRoles.Coordinator or ClusterRoles.Hosts))
            {
                errors.Add($"cluster.roles: '{role}' is unknown; expected '{ClusterRoles.Coordinator}' or '{ClusterRoles.Hosts}'");
            }
        }

        if (Persistence != PersistenceProvider.InMemory && string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"persistence.connection-string: empty for provider {Persistence}");
        }

        if (AcceptableHeartbeatPause <= TimeSpan.Zero)
        {
            errors.Add($"cluster.acceptable-heartbeat-pause: {AcceptableHeartbeatPause} must be positive");
        }

        if (DowningStableAfter <= TimeSpan.Zero)
        {
            errors.Add($"cluster.downing-stable-after: {DowningStableAfter} must be positive");
        }

        return errors;
    }
}
