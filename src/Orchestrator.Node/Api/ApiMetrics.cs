using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Migrations;
using Prometheus;

namespace Orchestrator.Node.Api;

/// <summary>
/// Prometheus metrics of this node. Two kinds, aggregated differently:
/// <list type="bullet">
/// <item>Gauges of the present, from the replicated directory and index (migrations by state, queues, slots, the
/// oldest migration in flight): every node reports the whole cluster; scrape one node, or aggregate with <c>max</c>.</item>
/// <item>Counters and histograms of what happened in this process, from <see cref="ClusterMetrics"/> (the
/// System.Diagnostics.Metrics instruments the coordinators, journal writers, placement authority and reconcilers
/// record): migration outcomes, downtime, duration and bytes are counted by the node whose coordinator ran the
/// migration, once, so aggregate with <c>sum</c>. After a restart they start from zero (Prometheus handles the reset)
/// and nothing is recounted: no per-migration state is kept here.</item>
/// </list>
/// </summary>
public sealed class ApiMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Gauge _byState;
    private long _oldestInFlightSinceTicks; // UTC ticks of the oldest in-flight migration's request; 0 when none
    private readonly Gauge _queued;
    private readonly Gauge _hostQueue;
    private readonly Gauge _pfMigrationSlots;
    private readonly Gauge _pfVfSlots;
    private readonly Gauge _hostsCordoned;
    private readonly TimeProvider _time;
    private Func<IReadOnlyCollection<MigrationView>>? _current;

    /// <summary>Metrics on the system clock.</summary>
    public ApiMetrics()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Metrics whose ages (the oldest migration in flight) are read on <paramref name="time"/>.</summary>
    public ApiMetrics(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        var factory = Metrics.WithCustomRegistry(Registry);
        _byState = factory.CreateGauge("orchestrator_migrations", "Migrations by protocol state.", new GaugeConfiguration { LabelNames = ["state"] });

        // Its age at each scrape: a stuck migration changes nothing in the index, and its age must still grow.
        var oldestInFlight = factory.CreateGauge("orchestrator_migration_oldest_in_flight_seconds", "Age of the oldest migration not yet ended (0 when none is in flight).");
        // The gauges of the present are read at each scrape, not at each of the index's changes (up to one per shard
        // every 100 ms, each over every migration).
        Registry.AddBeforeCollectCallback(() =>
        {
            if (_current is { } current)
            {
                ObserveMigrations(current());
            }

            oldestInFlight.Set(Volatile.Read(ref _oldestInFlightSinceTicks) is var since and > 0 ? Math.Max(0, TimeSpan.FromTicks(_time.GetUtcNow().UtcTicks - since).TotalSeconds) : 0);
        });

        // The process's and the runtime's own (CPU, memory, GC, threads): what an SRE reads first.
        DotNetStats.Register(Registry);
        _queued = factory.CreateGauge("orchestrator_migrations_queued", "Migrations waiting for admission.");
        _hostQueue = factory.CreateGauge("orchestrator_host_queued_migrations", "Migrations queued on a host's PFs.", new GaugeConfiguration { LabelNames = ["host"] });
        _pfMigrationSlots = factory.CreateGauge("orchestrator_pf_migration_slots_in_use", "Migration slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _pfVfSlots = factory.CreateGauge("orchestrator_pf_vf_slots_in_use", "VF slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _hostsCordoned = factory.CreateGauge("orchestrator_hosts_cordoned", "Hosts cordoned.");
        ListenToCluster(factory);
        foreach (var phase in Enum.GetNames<MigrationPhase>())
        {
            _byState.WithLabels(phase).Set(0);
        }
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// The cluster's own instruments (meter <see cref="ClusterMetrics.MeterName"/>), as this process measures them, under
    /// Prometheus names and buckets: the migrations its coordinators ended (outcome, code, duration, downtime) and the
    /// bytes they moved, the journal's write latency and timeouts by writer, the admission wait where the placement
    /// authority runs, the reconcilers' clean-ups by action. The per-migration tag is dropped (unbounded cardinality).
    /// </summary>
    private void ListenToCluster(MetricFactory factory)
    {
        var downtime = factory.CreateHistogram("orchestrator_migration_downtime_seconds", "Measured downtime of the migrations this node's coordinators completed.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        var duration = factory.CreateHistogram("orchestrator_migration_duration_seconds", "Time from request to Completed, RolledBack or Failed, of the migrations this node's coordinators ended.",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });
        var bytes = factory.CreateCounter("orchestrator_migration_transferred_bytes_total", "Device state bytes moved by the migrations this node's coordinators ran.");
        var failed = factory.CreateCounter("orchestrator_migrations_failed_total", "Migrations this node's coordinators ended Failed, by failure code.",
            new CounterConfiguration { LabelNames = ["code"] });
        var rolledBack = factory.CreateCounter("orchestrator_migrations_rolled_back_total", "Migrations this node's coordinators ended RolledBack, by rollback code.",
            new CounterConfiguration { LabelNames = ["code"] });
        var writes = factory.CreateHistogram("orchestrator_journal_write_seconds", "Seconds from a journal write to its confirmation, by writer (migration, host, reconciler).",
            new HistogramConfiguration { LabelNames = ["writer"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        var timeouts = factory.CreateCounter("orchestrator_journal_write_timeouts_total", "Journal writes not confirmed within the limit (the writer was restarted), by writer.",
            new CounterConfiguration { LabelNames = ["writer"] });
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ClusterMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        var admissionWait = factory.CreateHistogram("orchestrator_admission_wait_seconds", "Seconds migrations waited for admission (cluster and host limits), measured where the placement authority runs.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 4, 12) });
        var cleaned = factory.CreateCounter("orchestrator_reconciler_cleaned_total", "Leftovers of ended migrations the reconcilers of this node cleaned, by action.",
            new CounterConfiguration { LabelNames = ["action"] });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument == ClusterMetrics.AdmissionWait)
            {
                admissionWait.Observe(value);
            }
            else if (instrument == ClusterMetrics.JournalWriteDuration)
            {
                writes.WithLabels(WriterOf(tags)).Observe(value);
            }
            else if (instrument == ClusterMetrics.MigrationDuration)
            {
                duration.WithLabels(TagOf(tags, ClusterMetrics.OutcomeTag)).Observe(value);
            }
            else if (instrument == ClusterMetrics.MigrationDowntime)
            {
                downtime.Observe(value);
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument == ClusterMetrics.JournalWriteTimeouts)
            {
                timeouts.WithLabels(WriterOf(tags)).Inc(value);
            }
            else if (instrument == ClusterMetrics.ReconcilerCleaned)
            {
                cleaned.WithLabels(TagOf(tags, ClusterMetrics.ActionTag)).Inc(value);
            }
            else if (instrument == ClusterMetrics.MigrationTransferred)
            {
                bytes.Inc(value);
            }
            else if (instrument == ClusterMetrics.MigrationsFailed)
            {
                failed.WithLabels(TagOf(tags, ClusterMetrics.CodeTag)).Inc(value);
            }
            else if (instrument == ClusterMetrics.MigrationsRolledBack)
            {
                rolledBack.WithLabels(TagOf(tags, ClusterMetrics.CodeTag)).Inc(value);
            }
        });
        _listener.Start();

        static string WriterOf(ReadOnlySpan<KeyValuePair<string, object?>> tags) => TagOf(tags, ClusterMetrics.WriterTag);

        static string TagOf(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == key)
                {
                    return tag.Value as string ?? "unknown";
                }
            }

            return "unknown";
        }
    }

    /// <summary>Where the gauges of the present read the migrations at each scrape (the API feed's copy of the index).</summary>
    public void TrackMigrations(Func<IReadOnlyCollection<MigrationView>> current) => _current = current;

    /// <summary>The gauges of the present, from the replicated index as it is now.</summary>
    internal void ObserveMigrations(IEnumerable<MigrationView> migrations)
    {
        var counts = Enum.GetNames<MigrationPhase>().ToDictionary(p => p, _ => 0);
        var queued = 0;
        DateTimeOffset? oldest = null;
        foreach (var m in migrations)
        {
            if (!m.IsTerminal && (oldest is null || m.CreatedAt < oldest))
            {
                oldest = m.CreatedAt;
            }

            counts[m.State.ToString()] = counts.GetValueOrDefault(m.State.ToString()) + 1;
            queued += m.QueuePosition is null ? 0 : 1;
        }

        foreach (var (state, count) in counts)
        {
            _byState.WithLabels(state).Set(count);
        }

        _queued.Set(queued);
        Volatile.Write(ref _oldestInFlightSinceTicks, oldest?.UtcTicks ?? 0);
    }

    /// <summary>
    /// Reports this node's view of the cluster's membership at every scrape: members by status, and how many of them
    /// this node's failure detector finds unreachable (a partition, a paused process) before they are downed.
    /// </summary>
    public void TrackCluster(Akka.Cluster.Cluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var factory = Metrics.WithCustomRegistry(Registry);
        var members = factory.CreateGauge("orchestrator_cluster_members", "Cluster members this node sees, by status.", new GaugeConfiguration { LabelNames = ["status"] });
        var unreachable = factory.CreateGauge("orchestrator_cluster_unreachable_members", "Members this node's failure detector finds unreachable.");
        Registry.AddBeforeCollectCallback(() =>
        {
            var state = cluster.State;
            foreach (var status in Enum.GetValues<Akka.Cluster.MemberStatus>())
            {
                members.WithLabels(status.ToString()).Set(state.Members.Count(m => m.Status == status));
            }

            unreachable.Set(state.Unreachable.Count);
        });
    }

    internal void ObserveHosts(IEnumerable<HostEntry> hosts)
    {
        var cordoned = 0;
        foreach (var host in hosts)
        {
            var id = host.Inventory.Id.Value;
            cordoned += host.Inventory.Cordoned ? 1 : 0;
            _hostQueue.WithLabels(id).Set(host.QueuedMigrations);
            foreach (var pf in host.Inventory.Pfs)
            {
                _pfMigrationSlots.WithLabels(id, pf.Id.Address).Set(pf.MigrationSlotsInUse);
                _pfVfSlots.WithLabels(id, pf.Id.Address).Set(pf.Vfs.Count);
            }
        }

        _hostsCordoned.Set(cordoned);
    }
}
