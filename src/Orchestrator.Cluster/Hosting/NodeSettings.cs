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

    /// <summary>How the node finds the other nodes' contact points (Akka.Management Cluster Bootstrap).</summary>
    public DiscoveryMethod Discovery { get; init; } = DiscoveryMethod.Config;

    /// <summary>
    /// Config discovery: every node's management endpoint, <c>host:port</c>, the same list on every node. Empty with
    /// config discovery = a single node that forms its cluster by joining itself.
    /// </summary>
    public IReadOnlyList<string> ContactPoints { get; init; } = [];

    /// <summary>
    /// How many contact points must answer before the lowest forms a new cluster; 0 = all of <see cref="ContactPoints"/>
    /// (required with Kubernetes discovery, where the list is not known in advance).
    /// </summary>
    public int RequiredContactPoints { get; init; }

    /// <summary>Port of this node's management endpoint (the contact point others probe).</summary>
    public int ManagementPort { get; init; } = DefaultManagementPort;

    /// <summary>How long the contact points must be stable before the lowest one forms a new cluster.</summary>
    public TimeSpan BootstrapStableMargin { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Kubernetes discovery: the label selector of the node pods (their port named <c>management</c> is probed).</summary>
    public string KubernetesPodLabelSelector { get; init; } = "app=orchestrator";

    /// <summary>Akka.Management's usual port.</summary>
    public const int DefaultManagementPort = 8558;

    /// <summary>Whether the node joins through Cluster Bootstrap (false: a single node that joins itself).</summary>
    public bool UsesBootstrap => Discovery != DiscoveryMethod.Config || ContactPoints.Count > 0;

    /// <summary>The contact points that must answer: <see cref="RequiredContactPoints"/>, or all listed ones.</summary>
    public int EffectiveRequiredContactPoints => RequiredContactPoints > 0 ? RequiredContactPoints : ContactPoints.Count;

    /// <summary>Cluster roles. <c>coordinator</c> runs migration coordinators; <c>hosts</c> runs device hosts.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [ClusterRoles.Coordinator, ClusterRoles.Hosts];

    /// <summary>Journal provider.</summary>
    public PersistenceProvider Persistence { get; init; } = PersistenceProvider.Sqlite;

    /// <summary>Connection string for SQLite or PostgreSQL (ignored in memory).</summary>
    public string ConnectionString { get; init; } = "Data Source=orchestrator.db";

    /// <summary>
    /// SQLite only: fsync every commit (<c>synchronous=FULL</c>) so that the last checkpoints also survive a power loss.
    /// Off by default: the embedded journal runs WAL with <c>synchronous=NORMAL</c>, which survives a crash or kill of
    /// the process (not of the OS) at a fraction of the cost (see <c>SqlitePragmaInterceptor</c>). Several hosts use
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

        var parsed = ContactPoints.Select(c => (Text: c, Point: ContactPoint.Parse(c))).ToList();
        foreach (var (text, _) in parsed.Where(c => c.Point is null))
        {
            errors.Add($"cluster.contact-points: '{text}' is not host:port (a node's management endpoint, e.g. 10.0.0.1:{DefaultManagementPort})");
        }

        if (ContactPoints.Distinct(StringComparer.OrdinalIgnoreCase).Count() != ContactPoints.Count)
        {
            errors.Add($"cluster.contact-points: [{string.Join(", ", ContactPoints)}] lists a contact point twice");
        }

        if (Discovery == DiscoveryMethod.Config && ContactPoints.Count > 0 && !parsed.Any(c => c.Point is { } p && p.Port == ManagementPort && string.Equals(p.Host, Hostname, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"cluster.contact-points: [{string.Join(", ", ContactPoints)}] does not list this node's own management endpoint {Hostname}:{ManagementPort} (node.hostname:cluster.management-port); every node must be in the list");
        }

        if (RequiredContactPoints < 0 || (Discovery == DiscoveryMethod.Config && RequiredContactPoints > ContactPoints.Count && ContactPoints.Count > 0))
        {
            errors.Add($"cluster.required-contact-points: {RequiredContactPoints} must be between 0 (all listed) and the number of contact points ({ContactPoints.Count})");
        }

        if (Discovery == DiscoveryMethod.KubernetesApi && RequiredContactPoints <= 0)
        {
            errors.Add($"cluster.required-contact-points: {RequiredContactPoints}; Kubernetes discovery needs the number of node pods (e.g. the StatefulSet's replicas)");
        }

        if (ManagementPort is <= 0 or > 65535)
        {
            errors.Add($"cluster.management-port: {ManagementPort} is not a TCP port (1-65535)");
        }

        if (BootstrapStableMargin <= TimeSpan.Zero)
        {
            errors.Add($"cluster.bootstrap-stable-margin: {BootstrapStableMargin} must be positive");
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
        else if (ConnectionStringError() is { } why)
        {
            // Not echoed: it may hold a password. The driver's message names the keyword it refused.
            errors.Add($"persistence.connection-string: not a connection string for provider {Persistence}: {why}");
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

    // What the provider's own parser says of the connection string (null when it takes it): the node opens it at its
    // start (the journal's tag upgrade), so a bad one is named here rather than failing there.
    private string? ConnectionStringError()
    {
        try
        {
            if (Persistence == PersistenceProvider.PostgreSql)
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
            }
            else if (Persistence == PersistenceProvider.Sqlite)
            {
                _ = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
            }

            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
