using System.Globalization;
using System.Text;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Persistence.Sql;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Builds the Akka configuration of a node from <see cref="NodeSettings"/>: cluster + SBR, sharding with
/// event-sourced remember-entities (shared/PACKAGES.md: the ddata store is broken here), the SQL journal, and the
/// serializer bindings (Hyperion for remote messages, our own for persisted events).
/// </summary>
public static class OrchestratorConfig
{
    /// <summary>Journal plugin id used by coordinators and sharding.</summary>
    public const string JournalPluginId = "akka.persistence.journal.sql";

    /// <summary>Snapshot plugin id.</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";

    /// <summary>The full configuration; throws <see cref="ArgumentException"/> naming every bad value.</summary>
    public static Config Build(NodeSettings settings)
    {
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid node settings: " + string.Join("; ", errors));
        }

        RemotingBuffers.Ensure();

        var (journal, snapshot) = settings.Persistence == PersistenceProvider.InMemory
            ? ("akka.persistence.journal.inmem", "akka.persistence.snapshot-store.inmem")
            : (JournalPluginId, SnapshotPluginId);
        var provider = settings.Persistence == PersistenceProvider.PostgreSql ? "PostgreSQL.15" : "SQLite.MS";
        var roles = string.Join(", ", settings.Roles.Select(Quote));
        var hocon = new StringBuilder();
        hocon.Append(CultureInfo.InvariantCulture, $$"""
            orchestrator.node-name = {{Quote(settings.NodeName)}}
            akka {
              # The replicator runs from the start, not from the first use on this node: a node counts in every other
              # node's majority as soon as it is up, and a write sent to a replicator not yet started is lost (a host's
              # directory entry written to a majority when this node came up, issue 14).
              extensions = ["Akka.DistributedData.DistributedDataProvider, Akka.DistributedData"]
              loglevel = INFO
              stdout-loglevel = WARNING
              log-dead-letters = 0
              log-dead-letters-during-shutdown = off
              actor {
                provider = cluster
                serializers {
                  hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
                  orchestrator-events = "Orchestrator.Cluster.Serialization.EventSerializer, Orchestrator.Cluster"
                  orchestrator-replicated = "Orchestrator.Cluster.Serialization.ReplicatedValueSerializer, Orchestrator.Cluster"
                }
                serialization-bindings {
                  "Orchestrator.Cluster.IOrchestratorMessage, Orchestrator.Cluster" = hyperion
                  "Orchestrator.Domain.Migrations.IMigrationEvent, Orchestrator.Domain" = orchestrator-events
                  "Orchestrator.Cluster.Hosts.HostEvents+IHostEvent, Orchestrator.Cluster" = orchestrator-events
                  "Orchestrator.Cluster.Migrations.PlacementEvents+IPlacementEvent, Orchestrator.Cluster" = orchestrator-events
                  "Orchestrator.Cluster.Evacuations.EvacuationEvents+IEvacuationEvent, Orchestrator.Cluster" = orchestrator-events
                  "Orchestrator.Cluster.Hosts.ReconcilerEvents+IReconcilerEvent, Orchestrator.Cluster" = orchestrator-events
                  "Orchestrator.Cluster.Hosts.HostEntry, Orchestrator.Cluster" = orchestrator-replicated
                  "Orchestrator.Cluster.Migrations.MigrationView, Orchestrator.Cluster" = orchestrator-replicated
                  "Orchestrator.Cluster.Evacuations.EvacuationView, Orchestrator.Cluster" = orchestrator-replicated
                }
                serialization-identifiers {
                  "Orchestrator.Cluster.Serialization.EventSerializer, Orchestrator.Cluster" = 4711
                  "Orchestrator.Cluster.Serialization.ReplicatedValueSerializer, Orchestrator.Cluster" = 4712
                }
              }
              remote.dot-netty.tcp {
                hostname = {{Quote(settings.Hostname)}}
                port = {{settings.Port}}
              }
              cluster {
                # Joining goes through Akka.Management's Cluster Bootstrap (NodeSettings.ContactPoints), never Akka's
                # own first-seed rule, which lets a lone first seed form a second cluster.
                seed-nodes = []
                roles = [{{roles}}]
                min-nr-of-members = 1
                failure-detector {
                  heartbeat-interval = 500ms
                  acceptable-heartbeat-pause = {{Ms(settings.AcceptableHeartbeatPause)}}
                }
                # Akka's split-brain resolver, asked to decide every 100 ms instead of every second (issue 16's
                # recovery figure: a crashed node was downed 0-1 s after stable-after ran out).
                downing-provider-class = "Orchestrator.Cluster.Hosting.PromptSplitBrainResolverProvider, Orchestrator.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{Ms(settings.DowningStableAfter)}}
                }
                # After a node dies, every step until its coordinators run elsewhere waits on one of these. The
                # failure detector is read every 100 ms and the leader acts every 250 ms (not 1 s). Singleton and shard
                # hand-over wait down-removal-margin after the removal; SBR defaults it to stable-after again (5 s), which is
                # for a downed side that keeps running: here a PF actor fences every command of an older coordinator
                # epoch, and a downed node shuts its actor system down (so its PF actors stop), so a coordinator
                # that overlaps its successor for a moment cannot change a device. 100 ms, not 500: the hand-over is
                # what a crash waits for last (issue 16's recovery figure).
                # The leader removes a downed node only once every reachable node has seen the Down (convergence),
                # which travels by membership gossip: one exchange with one node a tick. At Akka's 1 s a crash waited
                # up to two ticks for that and one more for the removal to reach the shard coordinator (issue 16's
                # recovery figure); 250 ms is a few hundred bytes a tick per node.
                gossip-interval = 250ms
                unreachable-nodes-reaper-interval = 100ms
                leader-actions-interval = 250ms
                down-removal-margin = 100ms
                sharding {
                  role = {{Quote(ClusterRoles.Coordinator)}}
                  state-store-mode = ddata
                  # Coordinators of a shard that moves (node crash) or restarts (whole cluster) start again at once;
                  # MigrationKeeper also asks after quiet unfinished migrations, for a shard nobody messages.
                  remember-entities = on
                  remember-entities-store = eventsourced
                  journal-plugin-id = {{Quote(journal)}}
                  snapshot-plugin-id = {{Quote(snapshot)}}
                  # Each shard's store of remembered coordinators writes two events per migration (started, stopped),
                  # snapshots every snapshot-after events and deletes what is older than keep-nr-of-batches (2) more:
                  # every 50, not Akka's 1000, holds the journal at ~150 rows a shard instead of ~3000 (issue 15; a
                  # snapshot is only the ids of the migrations in flight, and is written beside the work, not before it).
                  snapshot-after = 50
                  passivate-idle-entity-after = off
                  # A coordinator that stopped without passivating (journal watchdog, persist failure) comes back soon.
                  entity-restart-backoff = 2s
                  # Regions retry registering with (and asking) a coordinator that moved: 250 ms, not 2 s.
                  retry-interval = 250ms
                  distributed-data.durable.keys = []
                }
                # Changes spread as deltas (every 200 ms) and the directory's by majority writes; gossip is the repair
                # for what a delta missed. At 500 ms it exchanged the whole value of every key that differed, and under a
                # burst nearly all differ: receiving it (merge, then a gzip and SHA-1 per key to digest it) was the
                # replicators' largest work (issue 16). Akka's default, 2 s.
                #
                # Gossip answers a status with the whole value of every key that differs, up to max-delta-elements
                # (Akka's default 500) in ONE remoting message. The migration index alone is 64 keys of up to ~35 KB
                # each (issue 15), so under a stream of migrations such a message reached 133–312 KB and remoting
                # dropped it as larger than its 128 000 B frame (the soak counted ~600 a node in 22 minutes): the repair
                # never arrived. 2 keys a message stay under half the frame with the index at its cap of 10 000 ended
                # views (~53 KB; 3 took 0.6 of it); a node still sends up to 10 status chunks a tick, so a full pass over
                # ~90 keys takes ~5 ticks (10 s).
                distributed-data {
                  gossip-interval = 2s
                  notify-subscribers-interval = 100ms
                  max-delta-elements = 2
                }
                singleton.role = {{Quote(ClusterRoles.Coordinator)}}
                # The placement authority's proxy asks where the singleton is every 100 ms until it is found, not every
                # 1 s: its first ask after a node starts (or the authority moves) often comes before the singleton
                # exists, and every claim and placement waited for the next ask in its buffer. In-process evacuations
                # of a fresh cluster waited 0.5-0.7 s before any coordinator's claim was answered in half of the runs
                # (issue 16). The timer stops once the singleton answers.
                singleton-proxy {
                  role = {{Quote(ClusterRoles.Coordinator)}}
                  singleton-identification-interval = 100ms
                }
              }
              persistence {
                journal {
                  plugin = {{Quote(journal)}}
                  sql {
                    connection-string = {{Quote(settings.ConnectionString)}}
                    provider-name = {{Quote(provider)}}
                    auto-initialize = on
                    # Resets after 2 s, not Akka's 30 s: after a database outage the open breaker kept every recovering
                    # actor failing fast for up to a minute after the server was back. The backoff supervisors (200 ms
                    # to 5 s) and sharding's entity-restart-backoff already bound how often actors try again.
                    circuit-breaker { max-failures = 10, call-timeout = 10s, reset-timeout = 2s }
                    # Migration events carry a tag: GET /events reads their journal ordering as its durable ids. The tag is
                    # kept in the row (Csv), so that a batch of tagged events is one insert; in a table of its own it
                    # cost an insert per event for its ordering and another for the tag (+50% a checkpoint, issue 16).
                    # Journals that earlier builds wrote are moved over at start (JournalTagUpgrade).
                    tag-write-mode = Csv
                    event-adapters { migration-tag = "Orchestrator.Cluster.Persistence.MigrationEventTagger, Orchestrator.Cluster" }
                    event-adapter-bindings { "Orchestrator.Domain.Migrations.IMigrationEvent, Orchestrator.Domain" = migration-tag }
                  }
                }
                query.journal.sql {
                  connection-string = {{Quote(settings.ConnectionString)}}
                  provider-name = {{Quote(provider)}}
                  write-plugin = {{Quote(JournalPluginId)}}
                  tag-read-mode = Csv # as the journal writes them
                  # The event feed follows the journal: new events within ~0.5 s, not Akka's 1 s + 1 s. Faster polling
                  # (100 ms on each of 3 nodes) took enough of 2 cores and the database to halve migration throughput.
                  refresh-interval = 300ms
                  max-buffer-size = 200
                  journal-sequence-retrieval.query-delay = 300ms
                }
                snapshot-store {
                  plugin = {{Quote(snapshot)}}
                  sql {
                    connection-string = {{Quote(settings.ConnectionString)}}
                    provider-name = {{Quote(provider)}}
                    auto-initialize = on
                    circuit-breaker { max-failures = 10, call-timeout = 10s, reset-timeout = 2s }
                  }
                }
              }
            }

            """);
        if (settings.UsesBootstrap)
        {
            hocon.Append(BootstrapHocon(settings));
        }

        if (!string.IsNullOrWhiteSpace(settings.ExtraHocon))
        {
            hocon.AppendLine(settings.ExtraHocon);
        }

        // The extensions' own defaults (serializers included) must be known before the node joins, or the first gossip
        // from a peer arrives before DistributedData/Sharding are started and is dropped as undeserializable.
        return ConfigurationFactory.ParseString(hocon.ToString())
            .WithFallback(SqlPersistence.DefaultConfiguration)
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(DistributedData.DefaultConfig())
            .WithFallback(Akka.Management.Cluster.Bootstrap.ClusterBootstrap.DefaultConfiguration());
    }

    /// <summary>
    /// Cluster Bootstrap: a node joins the cluster that any contact point reports; when none reports one, only the
    /// lowest contact point forms a new cluster, and only after every contact point (at least the required number) has
    /// answered and the answers stayed the same for the stable margin. A node cut off from the others keeps probing:
    /// it never forms a cluster of its own.
    /// </summary>
    private static string BootstrapHocon(NodeSettings settings)
    {
        var method = DiscoveryMethods.Name(settings.Discovery);
        var endpoints = string.Join(", ", settings.ContactPoints.Select(Quote));
        return string.Create(CultureInfo.InvariantCulture, $$"""
            akka.management {
              # The node serves the contact point itself (Node/Hosting/ContactPointEndpoint) on this host and port.
              http {
                hostname = {{Quote(settings.Hostname)}}
                port = {{settings.ManagementPort}}
              }
              cluster.bootstrap {
                new-cluster-enabled = on
                contact-point-discovery {
                  service-name = {{Quote(ClusterRoles.SystemName)}}
                  discovery-method = {{Quote(method)}}
                  required-contact-point-nr = {{settings.EffectiveRequiredContactPoints}}
                  contact-with-all-contact-points = true
                  stable-margin = {{Ms(settings.BootstrapStableMargin)}}
                  interval = 1s
                }
                contact-point {
                  # Nodes of one host (the demo, tests) differ by port: probe every listed one.
                  filter-on-fallback-port = false
                  fallback-port = {{settings.ManagementPort}}
                  probing-failure-timeout = 3s
                  probe-interval = 1s
                }
              }
            }
            akka.discovery {
              method = {{Quote(method)}}
              config.services.{{ClusterRoles.SystemName}}.endpoints = [{{endpoints}}]
              kubernetes-api {
                class = "Akka.Discovery.KubernetesApi.KubernetesApiServiceDiscovery, Akka.Discovery.KubernetesApi"
                pod-label-selector = {{Quote(settings.KubernetesPodLabelSelector)}}
                pod-port-name = "management"
              }
            }

            """);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
