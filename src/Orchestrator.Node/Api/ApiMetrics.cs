using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Migrations;
using Prometheus;

namespace Orchestrator.Node.Api;

/// <summary>
/// Prometheus metrics of the cluster as this node sees the replicated directory (so every node reports the whole
/// cluster; scrape one node, or aggregate with max). Each node has its own registry.
/// <para>
/// Counters and histograms count what this node saw happen since it started (Prometheus handles the reset of a
/// restart): a migration that ended before the node started is not counted again from the index, and bytes a
/// migration moved before this node first saw it are not either. Gauges describe the present. What it remembers per
/// migration is bounded: in-flight ones, and ended ones for the index retention (an older ended view that reappears,
/// say from a coordinator recovered for a read, is not counted).
/// </para>
/// </summary>
public sealed class ApiMetrics : IDisposable
{
    private readonly MeterListener _journal = new();
    private readonly Gauge _byState;
    private readonly Histogram _downtime;
    private readonly Histogram _duration;
    private readonly Counter _bytes;
    private readonly Counter _failed;
    private readonly Counter _rolledBack;
    private long _oldestInFlightSinceTicks; // UTC ticks of the oldest in-flight migration's request; 0 when none
    private readonly Gauge _queued;
    private readonly Gauge _hostQueue;
    private readonly Gauge _pfMigrationSlots;
    private readonly Gauge _pfVfSlots;
    private readonly Gauge _hostsCordoned;
    private readonly Dictionary<string, long> _bytesSeen = [];
    private readonly Dictionary<string, DateTimeOffset> _ended = [];
    private readonly TimeProvider _time;
    private readonly Lazy<TimeSpan> _retention;
    private readonly DateTimeOffset _startedAt;

    /// <summary>Metrics on the system clock with the default index retention.</summary>
    public ApiMetrics()
        : this(TimeProvider.System, IndexRetention.Default.Window)
    {
    }

    /// <summary>Metrics that remember ended migrations for <paramref name="retention"/> (the index's).</summary>
    public ApiMetrics(TimeProvider time, TimeSpan retention)
        : this(time, () => retention)
    {
    }

    /// <summary>
    /// As above, with the retention read at the first observation: the API maps its endpoints (and so creates this)
    /// before the node's options are validated, and a bad option must fail the start, not the build.
    /// </summary>
    public ApiMetrics(TimeProvider time, Func<TimeSpan> retention)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _retention = new Lazy<TimeSpan>(retention);
        _startedAt = time.GetUtcNow();
        var factory = Metrics.WithCustomRegistry(Registry);
        _byState = factory.CreateGauge("orchestrator_migrations", "Migrations by protocol state.", new GaugeConfiguration { LabelNames = ["state"] });
        _downtime = factory.CreateHistogram("orchestrator_migration_downtime_seconds", "Measured downtime of completed migrations.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _duration = factory.CreateHistogram("orchestrator_migration_duration_seconds", "Time from request to Completed, RolledBack or Failed.",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });
        _bytes = factory.CreateCounter("orchestrator_migration_transferred_bytes_total", "Device state bytes moved by migrations.");
        _failed = factory.CreateCounter("orchestrator_migrations_failed_total", "Migrations seen ending Failed, by failure code.",
            new CounterConfiguration { LabelNames = ["code"] });
        _rolledBack = factory.CreateCounter("orchestrator_migrations_rolled_back_total", "Migrations seen ending RolledBack, by rollback code.",
            new CounterConfiguration { LabelNames = ["code"] });

        // Its age at each scrape: a stuck migration changes nothing in the index, and its age must still grow.
        var oldestInFlight = factory.CreateGauge("orchestrator_migration_oldest_in_flight_seconds", "Age of the oldest migration not yet ended (0 when none is in flight).");
        Registry.AddBeforeCollectCallback(() =>
            oldestInFlight.Set(Volatile.Read(ref _oldestInFlightSinceTicks) is var since and > 0 ? Math.Max(0, TimeSpan.FromTicks(_time.GetUtcNow().UtcTicks - since).TotalSeconds) : 0));

        // The process's and the runtime's own (CPU, memory, GC, threads): what an SRE reads first.
        DotNetStats.Register(Registry);
        _queued = factory.CreateGauge("orchestrator_migrations_queued", "Migrations waiting for admission.");
        _hostQueue = factory.CreateGauge("orchestrator_host_queued_migrations", "Migrations queued on a host's PFs.", new GaugeConfiguration { LabelNames = ["host"] });
        _pfMigrationSlots = factory.CreateGauge("orchestrator_pf_migration_slots_in_use", "Migration slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _pfVfSlots = factory.CreateGauge("orchestrator_pf_vf_slots_in_use", "VF slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _hostsCordoned = factory.CreateGauge("orchestrator_hosts_cordoned", "Hosts cordoned.");
        ListenToJournal(factory);
        foreach (var phase in Enum.GetNames<MigrationPhase>())
        {
            _byState.WithLabels(phase).Set(0);
        }
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void Dispose() => _journal.Dispose();

    /// <summary>
    /// The cluster's own instruments (meter <see cref="ClusterMetrics.MeterName"/>), as this process measures them: the
    /// journal's write latency and timeouts by writer (<see cref="ClusterMetrics.JournalWriteDuration"/>), the admission wait where the
    /// placement authority runs (<see cref="ClusterMetrics.AdmissionWait"/>), the reconcilers' clean-ups by action
    /// (<see cref="ClusterMetrics.ReconcilerCleaned"/>).
    /// </summary>
    private void ListenToJournal(MetricFactory factory)
    {
        var writes = factory.CreateHistogram("orchestrator_journal_write_seconds", "Seconds from a journal write to its confirmation, by writer (migration, host, reconciler).",
            new HistogramConfiguration { LabelNames = ["writer"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        var timeouts = factory.CreateCounter("orchestrator_journal_write_timeouts_total", "Journal writes not confirmed within the limit (the writer was restarted), by writer.",
            new CounterConfiguration { LabelNames = ["writer"] });
        _journal.InstrumentPublished = (instrument, listener) =>
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
        _journal.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument == ClusterMetrics.AdmissionWait)
            {
                admissionWait.Observe(value);
            }
            else if (instrument == ClusterMetrics.JournalWriteDuration)
            {
                writes.WithLabels(WriterOf(tags)).Observe(value);
            }
        });
        _journal.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument == ClusterMetrics.JournalWriteTimeouts)
            {
                timeouts.WithLabels(WriterOf(tags)).Inc(value);
            }
            else if (instrument == ClusterMetrics.ReconcilerCleaned)
            {
                cleaned.WithLabels(TagOf(tags, ClusterMetrics.ActionTag)).Inc(value);
            }
        });
        _journal.Start();

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

    internal void ObserveMigrations(IEnumerable<MigrationView> migrations)
    {
        var now = _time.GetUtcNow();
        var counts = Enum.GetNames<MigrationPhase>().ToDictionary(p => p, _ => 0);
        var queued = 0;
        DateTimeOffset? oldest = null;
        foreach (var m in migrations)
        {
            var id = m.Id.Value;
            if (!m.IsTerminal && (oldest is null || m.CreatedAt < oldest))
            {
                oldest = m.CreatedAt;
            }

            counts[m.State.ToString()] = counts.GetValueOrDefault(m.State.ToString()) + 1;
            queued += m.QueuePosition is null ? 0 : 1;
            if (_ended.ContainsKey(id))
            {
                continue;
            }

            // Ended before this node started, or longer ago than it remembers: not something it saw happen.
            var endedUnseen = m.IsTerminal && (m.UpdatedAt < _startedAt || now - m.UpdatedAt > _retention.Value);
            if (!_bytesSeen.TryGetValue(id, out var seen))
            {
                // First sight: what it moved before this node started is not counted.
                seen = m.CreatedAt < _startedAt || endedUnseen ? m.Progress.BytesTransferred : 0;
                _bytesSeen[id] = seen;
            }

            if (m.Progress.BytesTransferred > seen)
            {
                _bytes.Inc(m.Progress.BytesTransferred - seen);
                _bytesSeen[id] = m.Progress.BytesTransferred;
            }

            if (!m.IsTerminal)
            {
                continue;
            }

            _bytesSeen.Remove(id);
            if (endedUnseen)
            {
                continue;
            }

            _ended[id] = m.UpdatedAt;
            _duration.WithLabels(m.State.ToString()).Observe(Math.Max(0, (m.UpdatedAt - m.CreatedAt).TotalSeconds));
            if (m.State == MigrationPhase.Completed && m.DowntimeMs is { } downtime)
            {
                _downtime.Observe(downtime / 1000.0);
            }

            if (m.State == MigrationPhase.Failed)
            {
                _failed.WithLabels(m.Code ?? "Unknown").Inc();
            }

            if (m.State == MigrationPhase.RolledBack)
            {
                _rolledBack.WithLabels(m.Code ?? "Unspecified").Inc();
            }
        }

        foreach (var (state, count) in counts)
        {
            _byState.WithLabels(state).Set(count);
        }

        _queued.Set(queued);
        Volatile.Write(ref _oldestInFlightSinceTicks, oldest?.UtcTicks ?? 0);
        foreach (var old in _ended.Where(e => now - e.Value > _retention.Value).Select(e => e.Key).ToList())
        {
            _ended.Remove(old);
        }
    }

    /// <summary>How many migrations it remembers (in flight, and ended within the retention): bounded, for tests.</summary>
    internal int Remembered => _bytesSeen.Count + _ended.Count;

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
