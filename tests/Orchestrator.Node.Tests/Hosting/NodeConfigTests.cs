using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Node.Cli;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Tests.Hosting;

public class NodeConfigTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("orchestrator-config-test-");

    public void Dispose()
    {
        _dir.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_hocon_file_sets_every_key()
    {
        var options = new NodeOptions();
        var errors = NodeConfigFile.Apply("""
            node { name = node-7, hostname = 10.0.0.7, port = 4053, latency-scale = 0.5, seed = 9, state-stream-ports = "7600-7699" }
            cluster {
              contact-points = ["10.0.0.1:8558", "10.0.0.7:8559"]
              management-port = 8559
              required-contact-points = 2
              bootstrap-stable-margin = 2s
              roles = [hosts]
              acceptable-heartbeat-pause = 4s
              downing-stable-after = 7s
            }
            persistence { provider = postgres, connection-string = "Host=db;Database=o" }
            api { url = "http://0.0.0.0:7405", token = "0123456789abcdef0123", token-file = "/tmp/t" }
            runtime.step-timeout = 30s
            runtime.reconcile-interval = 2m
            tls.mode = off
            akka.loglevel = DEBUG
            """, options);
        Assert.Empty(errors);
        Assert.Equal("node-7", options.Name);
        Assert.Equal("10.0.0.7", options.Hostname);
        Assert.Equal(4053, options.Port);
        Assert.Equal(0.5, options.LatencyScale);
        Assert.Equal(9UL, options.DeviceSeed);
        Assert.Equal(["10.0.0.1:8558", "10.0.0.7:8559"], options.ContactPoints);
        Assert.Equal((7600, 7699), options.StateStreamPortRange);
        Assert.Equal(8559, options.ManagementPort);
        Assert.Equal(2, options.RequiredContactPoints);
        Assert.Equal(TimeSpan.FromSeconds(2), options.BootstrapStableMargin);
        Assert.Equal(["hosts"], options.Roles);
        Assert.Equal(TimeSpan.FromSeconds(4), options.AcceptableHeartbeatPause);
        Assert.Equal(TimeSpan.FromSeconds(7), options.DowningStableAfter);
        Assert.Equal(PersistenceProvider.PostgreSql, options.PersistenceProvider);
        Assert.Equal("Host=db;Database=o", options.ConnectionString);
        Assert.Equal("http://0.0.0.0:7405", options.ApiUrl);
        Assert.Equal("0123456789abcdef0123", options.Token);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StepTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.ReconcileInterval);
        Assert.Equal("DEBUG", options.FileConfig!.GetString("akka.loglevel"));
        Assert.Empty(NodeOptionsValidator.Errors(options));
    }

    [Fact]
    public void A_json_file_is_read_the_same_way()
    {
        var options = new NodeOptions();
        var errors = NodeConfigFile.Apply("""{"node": {"name": "node-2", "port": 4054}, "cluster": {"contact-points": []}}""", options);
        Assert.Empty(errors);
        Assert.Equal("node-2", options.Name);
        Assert.Equal(4054, options.Port);
        Assert.Empty(options.ContactPoints);
    }

    [Fact]
    public void An_old_seed_node_list_is_refused_with_what_replaced_it()
    {
        var errors = NodeConfigFile.Apply("""cluster { seed-nodes = ["akka.tcp://orchestrator@10.0.0.1:4053"] }""", new NodeOptions());

        var error = Assert.Single(errors);
        Assert.StartsWith("cluster.seed-nodes:", error, StringComparison.Ordinal);
        Assert.Contains("cluster.contact-points", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_discovery_method_is_named()
    {
        var options = new NodeOptions();
        Assert.Empty(NodeConfigFile.Apply("""cluster.discovery = dns""", options));

        Assert.Contains(NodeOptionsValidator.Errors(options), e => e.Contains("cluster.discovery: 'dns'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_default_policy_comes_from_the_policy_keys()
    {
        var options = new NodeOptions();
        var errors = NodeConfigFile.Apply("""
            policy {
              downtime-limit = 150ms
              bandwidth-bytes-per-second = 1000000
              max-precopy-rounds = 12
              completion-timeout-per-gib = 90s
              progress-timeout = 20s
              non-convergence-action = force
              switchover-ack-wait = 250ms
            }
            """, options);
        Assert.Empty(errors.Concat(NodeOptionsValidator.Errors(options)));
        var p = options.DefaultPolicy;
        Assert.Equal(TimeSpan.FromMilliseconds(150), p.DowntimeLimit);
        Assert.Equal(1_000_000, p.BandwidthCapBytesPerSecond);
        Assert.Equal(12, p.MaxPreCopyRounds);
        Assert.Equal(TimeSpan.FromSeconds(90), p.CompletionTimeoutPerGiB);
        Assert.Equal(TimeSpan.FromSeconds(20), p.ProgressTimeout);
        Assert.Equal(Domain.Policies.NonConvergenceAction.ForceSwitchover, p.NonConvergenceAction);
        Assert.Equal(TimeSpan.FromMilliseconds(250), p.SwitchoverAckWait);
    }

    [Fact]
    public void The_concurrency_limits_come_from_the_limits_keys()
    {
        var options = new NodeOptions();
        var errors = NodeConfigFile.Apply("limits { per-host-outbound = 16, per-host-inbound = 12, per-pf = 8, per-cluster = 500 }", options);
        Assert.Empty(errors.Concat(NodeOptionsValidator.Errors(options)));
        Assert.Equal(new Domain.Policies.ConcurrencyLimits(16, 12, 8, 500), options.Limits);
    }

    [Fact]
    public void Logs_are_text_unless_log_format_says_json()
    {
        var options = new NodeOptions();
        Assert.False(options.JsonLogs);
        Assert.Empty(NodeConfigFile.Apply("log.format = json", options));
        Assert.True(options.JsonLogs);
        Assert.Empty(NodeConfigFile.Apply("log.format = text", options));
        Assert.False(options.JsonLogs);
    }

    [Theory]
    [InlineData("log.format = xml", "log.format: 'xml' is not text or json")]
    [InlineData("node.port = abc", "node.port: 'abc'")]
    [InlineData("node.port = 70000", "node.port: 70000")]
    [InlineData("node.name = \"bad name\"", "node.name: 'bad name'")]
    [InlineData("node.prot = 1", "node.prot: unknown key")]
    [InlineData("cluster.contact-points = \"h:8558\"", "cluster.contact-points: 'h:8558' must be a list")]
    [InlineData("cluster.contact-points = [\"http://h:1\"]", "cluster.contact-points: 'http://h:1' is not host:port")]
    [InlineData("cluster.management-port = none", "cluster.management-port: 'none'")]
    [InlineData("cluster.required-contact-points = -1", "cluster.required-contact-points: -1")]
    [InlineData("cluster.bootstrap-stable-margin = 0s", "cluster.bootstrap-stable-margin: 00:00:00 must be positive")]
    [InlineData("cluster.discovery = kubernetes-api", "cluster.required-contact-points: 0; Kubernetes discovery needs")]
    [InlineData("cluster.roles = [admin]", "cluster.roles: 'admin'")]
    [InlineData("cluster.downing-stable-after = soon", "cluster.downing-stable-after: 'soon'")]
    [InlineData("persistence.provider = oracle", "persistence.provider: 'oracle'")]
    [InlineData("persistence.connection-string = \"\"", "persistence.connection-string: empty")]
    [InlineData("persistence.connection-string = \"Data Sauce=x.db\"", "persistence.connection-string: not a connection string for provider Sqlite: Connection string keyword 'data sauce' is not supported")]
    [InlineData("persistence { provider = postgres, connection-string = \"Hots=db;Port=5432\" }", "persistence.connection-string: not a connection string for provider PostgreSql")]
    [InlineData("api.url = \"ftp://h\"", "api.url: 'ftp://h'")]
    [InlineData("api.token = short", "api.token: the configured token (5 characters)")]
    [InlineData("node.latency-scale = -1", "node.latency-scale: '-1'")]
    [InlineData("runtime.reconcile-interval = 100ms", "runtime.reconcile-interval: '00:00:00.1000000' must be at least 1s")]
    [InlineData("runtime.reconcile-interval = often", "runtime.reconcile-interval: 'often'")]
    [InlineData("runtime.index-retention = forever", "runtime.index-retention: 'forever'")]
    [InlineData("policy.non-convergence-action = later", "policy.non-convergence-action: 'later' is not abort, force or wait")]
    [InlineData("policy.max-precopy-rounds = 0", "policy.*: MaxPreCopyRounds = 0 is invalid")]
    [InlineData("policy.downtime-limit = soon", "policy.downtime-limit: 'soon'")]
    [InlineData("policy.switchover-ack-wait = later", "policy.switchover-ack-wait: 'later'")]
    [InlineData("limits.per-pf = many", "limits.per-pf: 'many' is not an integer")]
    [InlineData("limits.per-cluster = 0", "limits.*: PerCluster = 0 is invalid")]
    [InlineData("limits.per-host = 3", "limits.per-host: unknown key")]
    [InlineData("api.idempotency-retention = 10s", "api.idempotency-retention: '00:00:10' must be at least 1m")]
    [InlineData("runtime.index-max-ended = many", "runtime.index-max-ended: 'many' is not an integer")]
    [InlineData("runtime.index-max-ended = -5", "runtime.index-max-ended: -5 must not be negative")]
    [InlineData("node.topology = /nonexistent/t.yaml", "node.topology: file '/nonexistent/t.yaml' does not exist")]
    [InlineData("tracing.otlp-endpoint = \"collector:4317\"", "tracing.otlp-endpoint: 'collector:4317' is not an http(s) URL")]
    [InlineData("tracing.file = \"\"", "tracing.file: '' is empty")]
    [InlineData("tracing.sampler = always", "tracing.sampler: unknown key")]
    [InlineData("api.readiness-journal-grace = a-while", "api.readiness-journal-grace: 'a-while'")]
    [InlineData("node = ${missing}", "not valid HOCON or JSON")]
    // Removed (issue 19): no config key can weaken a checkpoint; the broken build is the chaos harness's own verb.
    [InlineData("chaos.unsafe-skip-commit-checkpoint = on", "chaos.unsafe-skip-commit-checkpoint: unknown key")]
    // Removed (issue 19): the device fault API is served by the chaos harness's fault-node verb, not by a config key.
    [InlineData("chaos.fault-api = on", "chaos.fault-api: unknown key")]
    [InlineData("tls.mode = maybe", "tls.mode: 'maybe' is not on or off")]
    [InlineData("node.state-stream-ports = \"7700-7600\"", "node.state-stream-ports: '7700-7600' is not FIRST-LAST")]
    [InlineData("node.state-stream-ports = \"any\"", "node.state-stream-ports: 'any'")]
    [InlineData("node.hostname = 10.0.0.7", "tls.mode: not set, and this node talks beyond this machine (node.hostname '10.0.0.7'")]
    [InlineData("api.url = \"http://0.0.0.0:7401\"", "tls.mode: not set, and this node talks beyond this machine")]
    [InlineData("tls.mode = on", "tls.certificate, tls.key, tls.ca: not set")]
    [InlineData("tls { certificate = /nonexistent.crt, key = /nonexistent.key, ca = /nonexistent.pem }", "tls.certificate: file '/nonexistent.crt' does not exist")]
    [InlineData("api.url = \"https://127.0.0.1:7401\"", "api.url: 'https://127.0.0.1:7401' is https, but TLS is off")]
    public void Every_error_names_the_key_and_the_value(string hocon, string expected)
    {
        var options = new NodeOptions();
        var errors = NodeConfigFile.Apply(hocon, options).Concat(NodeOptionsValidator.Errors(options)).ToList();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_token_is_never_echoed_in_an_error()
    {
        var options = new NodeOptions { Token = "secret" };
        var error = Assert.Single(NodeOptionsValidator.Errors(options));
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_topology_is_reported_with_file_line_and_column()
    {
        var path = Path.Combine(_dir.FullName, "bad.yaml");
        File.WriteAllText(path, "hosts:\n  - id: host-a\n    pfs:\n      - address: nope\n        driver: mlx5\n");
        var errors = NodeOptionsValidator.Errors(new NodeOptions { Topology = path });
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith("node.topology: ", e, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("bad.yaml:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_command_exits_2_naming_key_and_value_before_anything_starts()
    {
        var config = Path.Combine(_dir.FullName, "node.hocon");
        await File.WriteAllTextAsync(config, "node { port = 99999 }\npersistence.provider = oracle\n");
        var options = new NodeOptions();
        var loadErrors = NodeConfigFile.Load(config, options);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await NodeCommand.RunAsync(options, loadErrors, output, error, CancellationToken.None);
        Assert.Equal(NodeCommand.ConfigError, exit);
        Assert.Contains("node.port: 99999 is not a TCP port", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("persistence.provider: 'oracle' is unknown", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public async Task The_command_line_exits_2_for_a_missing_config_file()
    {
        using var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try
        {
            var exit = await OrchestratorCli.RunAsync(["node", "--config", Path.Combine(_dir.FullName, "missing.hocon")]);
            Assert.Equal(2, exit);
        }
        finally
        {
            Console.SetError(saved);
        }

        Assert.Contains("missing.hocon' does not exist", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_validates_options_on_start_and_never_creates_the_actor_system()
    {
        var options = new NodeOptions { Port = -5, ApiUrl = "http://127.0.0.1:0" };
        await using var app = NodeHost.Build(options, new NodeToken("test-token-0123456789abcdef", "test", null), b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.ClearProviders();
        });
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(failure.Failures, f => f.Contains("node.port: -5", StringComparison.Ordinal));
        Assert.Null(app.Services.GetRequiredService<NodeRuntime>().System);
    }

    [Fact]
    public void A_generated_token_is_written_to_its_file_and_the_environment_wins_over_config()
    {
        var file = Path.Combine(_dir.FullName, "sub", "node.token");
        var generated = NodeToken.Resolve(new NodeOptions { TokenFile = file }, _ => null);
        Assert.Equal(file, generated.WrittenTo);
        Assert.Equal(generated.Value, File.ReadAllText(file).Trim());
        Assert.Equal(64, generated.Value.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        // The next start reads it back: a restarted node keeps its token.
        var again = NodeToken.Resolve(new NodeOptions { TokenFile = file }, _ => null);
        Assert.Equal(generated.Value, again.Value);
        Assert.Null(again.WrittenTo);
        Assert.Equal(file, again.Source);

        var fromEnv = NodeToken.Resolve(new NodeOptions { Token = "configured-token-0123" }, name => name == "ORCHESTRATOR_TOKEN" ? "env-token-0123456789" : null);
        Assert.Equal("env-token-0123456789", fromEnv.Value);
        Assert.Null(fromEnv.WrittenTo);
    }

    [Fact]
    public void The_connection_string_comes_from_the_environment_or_its_file_and_a_missing_file_is_named_not_echoed()
    {
        var secret = Path.Combine(_dir.FullName, "pg");
        File.WriteAllText(secret, "Host=db;Username=o;Password=s3cret\n");
        var config = Path.Combine(_dir.FullName, "node.hocon");
        File.WriteAllText(config, "persistence { provider = postgres, connection-string-file = pg }\n");
        var options = new NodeOptions();
        Assert.Empty(NodeConfigFile.Load(config, options));
        Assert.Equal(secret, options.ConnectionStringFile); // relative to the config file
        Assert.Empty(NodeSecrets.Apply(options, _ => null));
        Assert.Equal("Host=db;Username=o;Password=s3cret", options.ConnectionString);

        Assert.Empty(NodeSecrets.Apply(options, name => name == NodeSecrets.ConnectionStringVariable ? "Host=env" : null));
        Assert.Equal("Host=env", options.ConnectionString);

        var missing = new NodeOptions { ConnectionStringFile = Path.Combine(_dir.FullName, "nope") };
        var error = Assert.Single(NodeSecrets.Apply(missing, _ => null));
        Assert.Equal($"persistence.connection-string-file: file '{missing.ConnectionStringFile}' does not exist or is empty", error);

        Assert.NotNull(NodeSecrets.CommandLineWarning("Host=db;Password=x"));
        Assert.Null(NodeSecrets.CommandLineWarning("Data Source=orchestrator.db"));
    }

    [Theory]
    [InlineData("node-single.hocon")]
    [InlineData("node-1.hocon")]
    [InlineData("node-single.json")]
    public void The_shipped_example_configs_are_valid(string file)
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "cluster-config")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("cluster-config");
        }

        var options = new NodeOptions();
        var errors = NodeConfigFile.Load(Path.Combine(dir, "cluster-config", file), options).Concat(NodeOptionsValidator.Errors(options));
        Assert.Empty(errors);
        Assert.True(File.Exists(options.Topology));
    }

    [Theory]
    [InlineData("127.0.0.12", "127.0.0.12", null)]
    [InlineData("10.0.0.11", "10.0.0.11", null)]
    [InlineData("orchestrator-0.orchestrator", "0.0.0.0", "orchestrator-0.orchestrator")]
    public void The_state_stream_listens_on_the_node_hostname(string hostname, string bind, string? advertised)
    {
        var settings = NodeHost.DataPlaneOf(hostname);

        Assert.Equal(bind, settings.TransferBindAddress.ToString());
        Assert.Equal(advertised, settings.TransferAdvertisedHost);
    }
}
