using Akka.Configuration;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// Everything <c>orchestrator node</c> is configured with, as read from the config file (HOCON or JSON), the command
/// line and the environment, before anything starts. <see cref="NodeOptionsValidator"/> checks it and names every bad
/// key and value. Keys are given in <see cref="NodeConfigKeys"/>.
/// </summary>
public sealed class NodeOptions
{
    /// <summary><c>node.name</c>: the node's name; hosts of the topology with <c>node: NAME</c> run here.</summary>
    public string Name { get; set; } = "node-1";

    /// <summary><c>node.hostname</c>: the address Akka remoting binds to and advertises.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary><c>node.port</c>: Akka remoting port; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary><c>node.topology</c>: topology file (YAML) of the simulated hosts; none = a node without hosts.</summary>
    public string? Topology { get; set; }

    /// <summary><c>node.latency-scale</c>: multiplies simulated device command latencies (0 = instant).</summary>
    public double LatencyScale { get; set; } = 1.0;

    /// <summary><c>node.seed</c>: seed of the simulated device state.</summary>
    public ulong DeviceSeed { get; set; } = 42;

    /// <summary>
    /// <c>node.state-stream-ports</c>: the ports the state stream's listeners bind, <c>FIRST-LAST</c> (or one port),
    /// for a firewall that opens only them; null = any port the OS picks. One port per VF being received at once.
    /// </summary>
    public string? StateStreamPorts { get; set; }

    /// <summary>The range in <see cref="StateStreamPorts"/>, or null when none is set or it does not parse.</summary>
    public (int First, int Last)? StateStreamPortRange
    {
        get
        {
            if (StateStreamPorts is not { } text)
            {
                return null;
            }

            var parts = text.Split('-', StringSplitOptions.TrimEntries);
            var first = parts.Length is 1 or 2 ? Port(parts[0]) : null;
            var last = parts.Length == 2 ? Port(parts[1]) : first;
            var ok = first is not null && last is not null;
            return ok && first is > 0 and <= 65535 && last >= first && last <= 65535 ? (first.Value, last!.Value) : null;

            static int? Port(string s) => int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null;
        }
    }

    /// <summary><c>cluster.discovery</c>: <c>config</c> (the contact points below) or <c>kubernetes-api</c>.</summary>
    public string Discovery { get; set; } = "config";

    /// <summary>
    /// <c>cluster.contact-points</c>: every node's management endpoint, <c>host:port</c>, the same list on every node;
    /// empty (with config discovery) = a single node that forms its cluster by joining itself.
    /// </summary>
    public List<string> ContactPoints { get; set; } = [];

    /// <summary><c>cluster.required-contact-points</c>: how many must answer before the lowest forms a cluster; 0 = all listed.</summary>
    public int RequiredContactPoints { get; set; }

    /// <summary><c>cluster.management-port</c>: port of this node's management endpoint (its contact point).</summary>
    public int ManagementPort { get; set; } = NodeSettings.DefaultManagementPort;

    /// <summary><c>cluster.bootstrap-stable-margin</c>: how long the contact points must be stable before a new cluster forms.</summary>
    public TimeSpan BootstrapStableMargin { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>cluster.kubernetes-pod-label-selector</c>: the node pods, with Kubernetes discovery.</summary>
    public string KubernetesPodLabelSelector { get; set; } = "app=orchestrator";

    /// <summary><c>cluster.roles</c>: <c>coordinator</c> and/or <c>hosts</c>.</summary>
    public List<string> Roles { get; set; } = [ClusterRoles.Coordinator, ClusterRoles.Hosts];

    /// <summary><c>cluster.acceptable-heartbeat-pause</c>.</summary>
    public TimeSpan AcceptableHeartbeatPause { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary><c>cluster.downing-stable-after</c>.</summary>
    public TimeSpan DowningStableAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>persistence.provider</c>: <c>sqlite</c>, <c>postgres</c> or <c>memory</c> (tests only).</summary>
    public string Persistence { get; set; } = "sqlite";

    /// <summary><c>persistence.connection-string</c>.</summary>
    public string ConnectionString { get; set; } = "Data Source=orchestrator.db";

    /// <summary>
    /// <c>persistence.connection-string-file</c>: read the connection string from this file's first line (a secret
    /// volume, a systemd credential) instead of the config or the command line; <c>ORCHESTRATOR_CONNECTION_STRING</c>
    /// wins over both.
    /// </summary>
    public string? ConnectionStringFile { get; set; }

    /// <summary><c>persistence.sqlite-full-sync</c>: fsync every SQLite commit (see <c>NodeSettings.SqliteFullSync</c>).</summary>
    public bool SqliteFullSync { get; set; }

    /// <summary><c>api.url</c>: where the HTTP API listens, <c>http://host:port</c>.</summary>
    public string ApiUrl { get; set; } = "http://127.0.0.1:7401";

    /// <summary><c>api.token</c> (or <c>ORCHESTRATOR_TOKEN</c>): the bearer token of mutating calls; none = generate one.</summary>
    public string? Token { get; set; }

    /// <summary><c>api.token-file</c>: where a generated token is written (default <c>.orchestrator/NAME.token</c>).</summary>
    public string? TokenFile { get; set; }

    /// <summary><c>api.sse-heartbeat</c>: how often <c>GET /events</c> writes a comment line to keep proxies open.</summary>
    public TimeSpan SseHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>runtime.step-timeout</c>: how long one migration step may take before the coordinator fails it.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>policy.*</c>: the policy of a migration whose request sets none of it (<c>POST /migrations</c> lays its
    /// <c>policy</c> object over it).
    /// </summary>
    public Domain.Policies.MigrationPolicy DefaultPolicy { get; set; } = Domain.Policies.MigrationPolicy.Default;

    /// <summary>
    /// <c>limits.*</c>: how many migrations may run at once per source host, per target host, per PF and in the cluster
    /// (the placement authority's admission queue; the node that holds the authority applies its own).
    /// </summary>
    public Domain.Policies.ConcurrencyLimits Limits { get; set; } = Domain.Policies.ConcurrencyLimits.Default;

    /// <summary><c>api.idempotency-retention</c>: how long the request behind an Idempotency-Key is kept (24 h).</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>runtime.index-retention</c>: how long <c>GET /migrations</c> and the event stream list an ended migration.</summary>
    public TimeSpan IndexRetention { get; set; } = Cluster.Migrations.IndexRetention.Default.Window;

    /// <summary><c>runtime.index-max-ended</c>: at most this many ended migrations are listed (the newest).</summary>
    public int IndexMaxEnded { get; set; } = Cluster.Migrations.IndexRetention.Default.MaxEnded;

    /// <summary><c>runtime.reconcile-interval</c>: how often each host's reconciler looks for leftovers of ended migrations.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>history.path</c>: the node appends its device and migration history here (JSON Lines); none = no history.</summary>
    public string? HistoryPath { get; set; }

    /// <summary><c>devices.state-dir</c>: simulated PFs keep their VFs here across restarts; none = devices start from the topology.</summary>
    public string? DeviceStateDirectory { get; set; }

    /// <summary><c>log.format = json</c>: one JSON object per log line (for a log shipper); else one line of text.</summary>
    public bool JsonLogs { get; set; }

    /// <summary><c>api.read-auth = on</c>: reads of <c>/api/v1</c> need the bearer token too (header, or <c>?access_token=</c> for the event stream).</summary>
    public bool ReadAuth { get; set; }

    /// <summary><c>api.readiness-journal-grace</c>: a journal outage shorter than this leaves <c>/readyz</c> ready (Degraded); 0 = none.</summary>
    public TimeSpan ReadinessJournalGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>tracing.otlp-endpoint</c>: export migration traces over OTLP (gRPC, e.g. <c>http://collector:4317</c>); none = not exported that way.</summary>
    public string? TracingOtlpEndpoint { get; set; }

    /// <summary><c>tracing.file</c>: append every finished span here as one JSON object per line (demo, tests); none = no file.</summary>
    public string? TracingFile { get; set; }

    /// <summary>
    /// Serves <c>POST /api/v1/chaos/device-faults</c>: set by the chaos harness's node verbs (<c>fault-node</c>,
    /// <c>chaos-node</c>) and by tests, never read from a config file.
    /// </summary>
    public bool ChaosFaultApi { get; set; }

    /// <summary>
    /// HOCON that a harness entry point adds (the chaos harness's broken build); never read from a config file, so
    /// no setting of a production node can weaken a checkpoint.
    /// </summary>
    public string? HarnessHocon { get; set; }

    /// <summary>
    /// <c>tls.mode</c>: <c>on</c> (remoting, the API and the state stream over TLS with <see cref="TlsCertificate"/>,
    /// <see cref="TlsKey"/> and <see cref="TlsCa"/>) or <c>off</c> (clear text). Not set: on when a certificate is
    /// given; else off only for a node that never leaves this machine (loopback addresses), and an error otherwise.
    /// </summary>
    public string? TlsMode { get; set; }

    /// <summary><c>tls.certificate</c>: this node's certificate (PEM), valid for the names peers and clients dial.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary><c>tls.key</c>: its private key (PEM, PKCS#8 or PKCS#1); keep it mode 0600.</summary>
    public string? TlsKey { get; set; }

    /// <summary><c>tls.ca</c>: the cluster's CA (PEM); every peer's certificate must chain to it.</summary>
    public string? TlsCa { get; set; }

    /// <summary>Whether this node runs TLS (see <see cref="TlsMode"/>).</summary>
    public bool TlsEnabled => TlsMode?.Trim().ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => TlsCertificate is not null,
    };

    /// <summary>Whether every address this node binds, advertises or dials is a loopback one: nothing leaves the machine.</summary>
    public bool StaysOnThisMachine =>
        IsLoopback(Hostname)
        && Uri.TryCreate(ApiUrl, UriKind.Absolute, out var api) && IsLoopback(api.Host)
        && DiscoveryMethods.Parse(Discovery) == DiscoveryMethod.Config
        && ContactPoints.All(c => ContactPoint.Parse(c) is { } point && IsLoopback(point.Host));

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>The config file as HOCON: its <c>akka { … }</c> block is applied over the generated configuration.</summary>
    public Config? FileConfig { get; set; }

    /// <summary>The journal provider named by <see cref="Persistence"/>, or null when it names none.</summary>
    public PersistenceProvider? PersistenceProvider => Persistence.ToLowerInvariant() switch
    {
        "sqlite" => Cluster.Hosting.PersistenceProvider.Sqlite,
        "postgres" or "postgresql" => Cluster.Hosting.PersistenceProvider.PostgreSql,
        "memory" or "inmemory" => Cluster.Hosting.PersistenceProvider.InMemory,
        _ => null,
    };

    /// <summary>The cluster layer's settings (call after validation).</summary>
    public NodeSettings ToSettings() => new()
    {
        NodeName = Name,
        Hostname = Hostname,
        Port = Port,
        Discovery = DiscoveryMethods.Parse(Discovery) ?? DiscoveryMethod.Config,
        ContactPoints = [.. ContactPoints],
        RequiredContactPoints = RequiredContactPoints,
        ManagementPort = ManagementPort,
        BootstrapStableMargin = BootstrapStableMargin,
        KubernetesPodLabelSelector = KubernetesPodLabelSelector,
        Roles = [.. Roles],
        Persistence = PersistenceProvider ?? Cluster.Hosting.PersistenceProvider.Sqlite,
        ConnectionString = ConnectionString,
        SqliteFullSync = SqliteFullSync,
        AcceptableHeartbeatPause = AcceptableHeartbeatPause,
        DowningStableAfter = DowningStableAfter,
        ExtraHocon = HarnessHocon,
    };

    /// <summary>Copies every setting to <paramref name="target"/> (the options pattern builds its own instance).</summary>
    public void CopyTo(NodeOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        foreach (var property in typeof(NodeOptions).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(target, property.GetValue(this));
        }
    }
}
