using System.Net;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orchestrator.Chaos.Harness;
using Orchestrator.Cluster.History;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Devices.Simulation;
using Orchestrator.Devices.Topology;
using Orchestrator.Node.Api;
using Orchestrator.Node.Chaos;
using Orchestrator.Node.Tracing;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// Composes a node: options (validated on start, before the ActorSystem exists), Akka.Hosting with the cluster
/// layer's configuration, the runtime once this member is Up, and the HTTP API. Production and tests use the same
/// composition; tests add a TestServer through <c>configure</c>.
/// </summary>
public static class NodeHost
{
    public static WebApplication Build(NodeOptions options, NodeToken token, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(token);
        ThreadPoolSizing.Ensure();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.WebHost.UseUrls(options.ApiUrl);
        // Under systemd (Type=notify) the unit is "started" when the host is, and stopping is reported; else a no-op.
        builder.Services.AddSystemd();
        var tls = NodeTls.Load(options);
        if (tls.Identity is { } identity)
        {
            // The API over HTTPS with the node's certificate (the slim builder leaves HTTPS out unless asked).
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https => https.ServerCertificate = identity.Certificate));
        }
        builder.Logging.ClearProviders();

        // ISO-8601 UTC in both formats: logs of several nodes (and hosts) sort and join by time.
        const string Timestamp = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = Timestamp;
                o.UseUtcTimestamp = true;
                o.IncludeScopes = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = Timestamp + " ";
                o.UseUtcTimestamp = true;
            });
        }

        var services = builder.Services;
        services.AddOptions<NodeOptions>().Configure(target => options.CopyTo(target)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        services.AddSingleton(token);
        services.AddSingleton(tls);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NodeRuntime>();
        services.AddSingleton(sp => new ApiMetrics(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ClusterFeed>();
        services.AddSingleton(sp => new IdempotencyStore(
            sp.GetRequiredService<NodeRuntime>().System ?? throw new InvalidOperationException("the ActorSystem has not started"),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<NodeOptions>>().Value.IdempotencyRetention));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<NodeOptions>>().Value;
            return new JournalProbe(o.PersistenceProvider ?? PersistenceProvider.Sqlite, o.ConnectionString);
        });
        services.AddSingleton<ChaosFaults>();
        services.AddSingleton<BearerAuth>();
        services.AddSingleton<ReadAuth>();
        services.AddNodeHealthChecks();
        AddTracing(services, options);
        services.AddOpenApi(ApiDocument.Configure);

        // Numbers are numbers: the endpoints refuse "500" for a number (400 naming it), so the document must not offer it.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        services.AddAkka(ClusterRoles.SystemName, (akka, sp) => ConfigureAkka(akka, sp));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapOrchestratorApi();
        app.MapDashboard();
        app.MapChaosFaults();
        return app;
    }

    /// <summary>
    /// Exports migration traces (<see cref="MigrationTracing"/>) over OTLP and/or to a JSON Lines file, when configured;
    /// otherwise no listener exists and no span is even created.
    /// </summary>
    private static void AddTracing(IServiceCollection services, NodeOptions options)
    {
        if (options.TracingOtlpEndpoint is null && options.TracingFile is null)
        {
            return;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("orchestrator", serviceInstanceId: options.Name))
            .WithTracing(tracing =>
            {
                tracing.AddSource(MigrationTracing.SourceName);
                if (options.TracingOtlpEndpoint is { } otlp)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                }

                if (options.TracingFile is { } file)
                {
                    // Simple (not batched): a span is in the file when it ends, which tests and the demo read right away.
                    tracing.AddProcessor(new SimpleActivityExportProcessor(new JsonFileSpanExporter(file, options.Name)));
                }
            });
    }

    private static void ConfigureAkka(AkkaConfigurationBuilder akka, IServiceProvider sp)
    {
        // Reading the options validates them: a bad value stops here, before any ActorSystem or cluster join.
        var options = sp.GetRequiredService<IOptions<NodeOptions>>().Value;
        var node = sp.GetRequiredService<NodeRuntime>();
        var feed = sp.GetRequiredService<ClusterFeed>();
        var probe = sp.GetRequiredService<JournalProbe>();
        var time = sp.GetRequiredService<TimeProvider>();
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Node");
        var settings = options.ToSettings();

        var config = OrchestratorConfig.Build(settings);
        JournalStorage.Prepare(settings, config);
        var tls = sp.GetRequiredService<NodeTls>();
        akka.AddHocon(config, HoconAddMode.Prepend);
        if (tls.Identity is { } identity)
        {
            // Remoting over mutual TLS: a peer must present a certificate of the cluster's CA, in both directions.
            akka.AddHocon("akka.remote.dot-netty.tcp.enable-ssl = true", HoconAddMode.Prepend);
            akka.AddSetup(new Akka.Remote.Transport.DotNetty.DotNettySslSetup(
                identity.Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
                customValidator: (certificate, _, peer, _, log) =>
                {
                    var trusted = identity.IsTrusted(certificate);
                    if (!trusted)
                    {
                        Akka.Event.LoggingExtensions.Warning(log, "refused remoting peer {0}: its certificate ({1}) does not chain to tls.ca", peer, certificate?.Subject ?? "none");
                    }

                    return trusted;
                }));
        }

        if (settings.Discovery == DiscoveryMethod.KubernetesApi)
        {
            // The Kubernetes discovery's own defaults (API paths, namespace file) under the keys set above.
            akka.AddHocon(Akka.Discovery.KubernetesApi.KubernetesDiscovery.DefaultConfiguration(), HoconAddMode.Append);
        }

        // Akka.Hosting's own checks: the actor system runs (/livez), this member is Up (/readyz).
        akka.WithActorSystemLivenessCheck(tags: [HealthEndpoints.Live]);
        akka.WithAkkaClusterReadinessCheck(tags: [HealthEndpoints.Ready]);
        if (JournalStorage.DataOptions(settings) is { } dataOptions)
        {
            akka.AddSetup(dataOptions);
        }
        if (options.FileConfig is { } file)
        {
            akka.AddHocon(file, HoconAddMode.Prepend);
        }

        akka.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLogger<StructuredAkkaLogger>(); // named fields reach the JSON log (see the type)
        });
        akka.AddStartup(async (system, _) =>
        {
            node.SetSystem(system);
            IReadOnlyList<HostDevices> hosts = [];
            if (options.Topology is { } path)
            {
                var topology = TopologyLoader.TryLoad(path).Topology ?? throw new InvalidOperationException($"topology '{path}' no longer loads");
                hosts = HostDevices.ForNode(topology, options.Name, new TopologySimulationOptions
                {
                    Seed = options.DeviceSeed,
                    LatencyScale = options.LatencyScale,
                    // Modelled command latencies to the millisecond; the system clock's timers count a 4 ms tick here.
                    TimeProvider = HighResolutionTimeProvider.Instance,
                    StateDirectory = options.DeviceStateDirectory,
                });
            }

            sp.GetRequiredService<ChaosFaults>().Register(hosts.SelectMany(h => h.Drivers.OfType<SimulatedPfDriver>().Select(d => (h.Host.ToString(), d))));
            var history = options.HistoryPath is { } historyPath ? new HistoryDeviceObserver(new HistoryWriter(historyPath, options.Name, time)) : null;
            if (history is not null)
            {
                system.RegisterOnTermination(history.Writer.Dispose);
            }

            var cluster = Akka.Cluster.Cluster.Get(system);
            sp.GetRequiredService<ApiMetrics>().TrackCluster(cluster);
            cluster.RegisterOnMemberUp(() =>
            {
                try
                {
                    var journal = MigrationJournal.For(system, settings.Persistence);
                    var runtime = OrchestratorRuntime.Start(system, hosts, new RuntimeOptions
                    {
                        Journal = journal,
                        TimeProvider = time,
                        StepTimeout = options.StepTimeout,
                        ReconcileInterval = options.ReconcileInterval,
                        IndexRetention = new IndexRetention(options.IndexRetention, options.IndexMaxEnded),
                        DefaultPolicy = options.DefaultPolicy,
                        Limits = options.Limits,
                        Observer = history is null ? NullDeviceObserver.Instance : history,
                        OnMigrationChanged = history is null ? null : history.MigrationChanged,
                        Pf = DataPlaneOf(options.Hostname) with { Tls = tls.Identity, TransferPorts = options.StateStreamPortRange },
                    });
                    // Migration events from a little before the journal's end: a PostgreSQL transaction that took an
                    // ordering below the end and commits later is read all the same (the feed folds each once). Durable
                    // resumes wait until the feed has caught up with the last migration event written before it started.
                    feed.Start(system, journal,
                        () => (Math.Max(0, probe.MaxOrdering() - 1000), probe.MaxOrdering(MigrationCoordinator.PersistenceIdPrefix)));
                    node.SetRuntime(runtime);
                    if (logger.IsEnabled(LogLevel.Information))
                    {
                        logger.LogInformation("{Node} is Up at {Address} with {Hosts} host(s): {HostIds}",
                            options.Name, cluster.SelfAddress, hosts.Count, string.Join(", ", hosts.Select(h => h.Host)));
                    }
                }
#pragma warning disable CA1031 // Reported and the node stops; nothing else can be done with it here.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    logger.LogError(e, "{Node} failed to start its runtime", options.Name);
                    node.Fail(e);
                    CoordinatedShutdownFor(system);
                }
            });

            if (!settings.UsesBootstrap)
            {
                if (logger.IsEnabled(LogLevel.Information))
                {
                    logger.LogInformation("{Node} has no contact points: forming a new cluster by joining itself at {Address}", options.Name, cluster.SelfAddress);
                }

                cluster.Join(cluster.SelfAddress);
                return;
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{Node} joining through Cluster Bootstrap ({Discovery} discovery: {ContactPoints}; {Required} must answer before the lowest forms a cluster), management endpoint {Hostname}:{ManagementPort}",
                    options.Name, DiscoveryMethods.Name(settings.Discovery), settings.Discovery == DiscoveryMethod.Config ? string.Join(", ", settings.ContactPoints) : settings.KubernetesPodLabelSelector,
                    settings.EffectiveRequiredContactPoints, settings.Hostname, settings.ManagementPort);
            }

            // The contact point answers the others' probes; bootstrap then joins the cluster they report, or (lowest
            // contact point, every one answered that it is in none) forms it.
            try
            {
                var endpoint = await ContactPointEndpoint.StartAsync(system, settings, sp.GetRequiredService<ILoggerFactory>());
                system.RegisterOnTermination(() => endpoint.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5)));
            }
#pragma warning disable CA1031 // Reported and the node stops: without its contact point it can never join.
            catch (Exception e)
#pragma warning restore CA1031
            {
                var error = new InvalidOperationException($"{NodeConfigKeys.ManagementPort}: the management endpoint {settings.Hostname}:{settings.ManagementPort} could not start ({e.GetBaseException().Message})", e);
                logger.LogError(error, "{Node} cannot join: {Reason}", options.Name, error.Message);
                node.Fail(error);
                CoordinatedShutdownFor(system);
            }
        });
    }

    private static void CoordinatedShutdownFor(Akka.Actor.ActorSystem system) =>
        _ = Akka.Actor.CoordinatedShutdown.Get(system).Run(Akka.Actor.CoordinatedShutdown.ClrExitReason.Instance);

    /// <summary>
    /// The state stream listens on the address the node is reached at (<c>node.hostname</c>), not on loopback: peers on
    /// other hosts must reach it, and a partition of the node cuts its stream as it cuts its remoting. A host name, not
    /// an IP literal, binds every interface and is put in offers as it is.
    /// </summary>
    internal static PfActorSettings DataPlaneOf(string hostname) =>
        IPAddress.TryParse(hostname, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? new PfActorSettings { TransferBindAddress = address }
            : new PfActorSettings { TransferBindAddress = IPAddress.Any, TransferAdvertisedHost = hostname };
}
