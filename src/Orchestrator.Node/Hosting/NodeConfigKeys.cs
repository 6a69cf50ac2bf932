namespace Orchestrator.Node.Hosting;

/// <summary>The keys of a node config file (HOCON or JSON), as error messages name them.</summary>
public static class NodeConfigKeys
{
    public const string Name = "node.name";
    public const string Hostname = "node.hostname";
    public const string Port = "node.port";
    public const string Topology = "node.topology";
    public const string LatencyScale = "node.latency-scale";
    public const string DeviceSeed = "node.seed";
    public const string StateStreamPorts = "node.state-stream-ports";
    public const string Discovery = "cluster.discovery";
    public const string ContactPoints = "cluster.contact-points";
    public const string RequiredContactPoints = "cluster.required-contact-points";
    public const string ManagementPort = "cluster.management-port";
    public const string BootstrapStableMargin = "cluster.bootstrap-stable-margin";
    public const string KubernetesPodLabelSelector = "cluster.kubernetes-pod-label-selector";
    public const string Roles = "cluster.roles";
    public const string AcceptableHeartbeatPause = "cluster.acceptable-heartbeat-pause";
    public const string DowningStableAfter = "cluster.downing-stable-after";
    public const string Persistence = "persistence.provider";
    public const string ConnectionString = "persistence.connection-string";
    public const string ConnectionStringFile = "persistence.connection-string-file";
    public const string SqliteFullSync = "persistence.sqlite-full-sync";
    public const string ApiUrl = "api.url";
    public const string Token = "api.token";
    public const string TokenFile = "api.token-file";
    public const string ReadAuth = "api.read-auth";
    public const string SseHeartbeat = "api.sse-heartbeat";
    public const string ReadinessJournalGrace = "api.readiness-journal-grace";
    public const string IdempotencyRetention = "api.idempotency-retention";
    public const string PolicyDowntimeLimit = "policy.downtime-limit";
    public const string PolicyBandwidth = "policy.bandwidth-bytes-per-second";
    public const string PolicyMaxPreCopyRounds = "policy.max-precopy-rounds";
    public const string PolicyCompletionTimeoutPerGiB = "policy.completion-timeout-per-gib";
    public const string PolicyProgressTimeout = "policy.progress-timeout";
    public const string PolicyNonConvergenceAction = "policy.non-convergence-action";
    public const string PolicySwitchoverAckWait = "policy.switchover-ack-wait";
    public const string LimitsPerHostOutbound = "limits.per-host-outbound";
    public const string LimitsPerHostInbound = "limits.per-host-inbound";
    public const string LimitsPerPf = "limits.per-pf";
    public const string LimitsPerCluster = "limits.per-cluster";
    public const string StepTimeout = "runtime.step-timeout";
    public const string ReconcileInterval = "runtime.reconcile-interval";
    public const string IndexRetention = "runtime.index-retention";
    public const string IndexMaxEnded = "runtime.index-max-ended";
    public const string HistoryPath = "history.path";
    public const string DeviceStateDirectory = "devices.state-dir";
    public const string LogFormat = "log.format";
    public const string TracingOtlpEndpoint = "tracing.otlp-endpoint";
    public const string TracingFile = "tracing.file";
    public const string TlsMode = "tls.mode";
    public const string TlsCertificate = "tls.certificate";
    public const string TlsKey = "tls.key";
    public const string TlsCa = "tls.ca";

    /// <summary>Keys that older config files used, each with what replaced it.</summary>
    public static IReadOnlyDictionary<string, string> Replaced { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster.seed-nodes"] = $"no longer read: list every node's management endpoint (host:port) in {ContactPoints}; Cluster Bootstrap never lets a lone node form a second cluster",
    };

    /// <summary>The environment variable that overrides <see cref="Token"/>.</summary>
    public const string TokenEnvironmentVariable = "ORCHESTRATOR_TOKEN";
}
