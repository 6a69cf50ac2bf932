using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Migrations;
using Prometheus;

namespace Orchestrator.Node.Api;

/// <summary>
/// Prometheus metrics of the cluster as this node sees the replicated directory (so every node reports the whole
/// cluster; scrape one node, or aggregate with max). Each node has its own registry.
/// </summary>
public sealed class ApiMetrics
{
    private readonly Gauge _byState;
    private readonly Histogram _downtime;
    private readonly Histogram _duration;
    private readonly Counter _bytes;
    private readonly Counter _failed;
    private readonly Gauge _queued;
    private readonly Gauge _hostQueue;
    private readonly Gauge _pfMigrationSlots;
    private readonly Gauge _pfVfSlots;
    private readonly Gauge _hostsCordoned;
    private readonly Dictionary<string, long> _bytesSeen = [];
    private readonly HashSet<string> _ended = [];

    public ApiMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        _byState = factory.CreateGauge("orchestrator_migrations", "Migrations by protocol state.", new GaugeConfiguration { LabelNames = ["state"] });
        _downtime = factory.CreateHistogram("orchestrator_migration_downtime_seconds", "Measured downtime of completed migrations.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _duration = factory.CreateHistogram("orchestrator_migration_duration_seconds", "Time from request to Completed, RolledBack or Failed.",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });
        _bytes = factory.CreateCounter("orchestrator_migration_bytes_transferred_total", "Device state bytes moved by migrations.");
        _failed = factory.CreateCounter("orchestrator_migrations_failed_total", "Migrations seen ending Failed, by failure code.",
            new CounterConfiguration { LabelNames = ["code"] });
        _queued = factory.CreateGauge("orchestrator_migrations_queued", "Migrations waiting for admission.");
        _hostQueue = factory.CreateGauge("orchestrator_host_queued_migrations", "Migrations queued on a host's PFs.", new GaugeConfiguration { LabelNames = ["host"] });
        _pfMigrationSlots = factory.CreateGauge("orchestrator_pf_migration_slots_in_use", "Migration slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _pfVfSlots = factory.CreateGauge("orchestrator_pf_vf_slots_in_use", "VF slots in use per PF.", new GaugeConfiguration { LabelNames = ["host", "pf"] });
        _hostsCordoned = factory.CreateGauge("orchestrator_hosts_cordoned", "Hosts cordoned.");
        foreach (var phase in Enum.GetNames<MigrationPhase>())
        {
            _byState.WithLabels(phase).Set(0);
        }
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    internal void ObserveMigrations(IEnumerable<MigrationView> migrations)
    {
        var counts = Enum.GetNames<MigrationPhase>().ToDictionary(p => p, _ => 0);
        var queued = 0;
        foreach (var m in migrations)
        {
            var id = m.Id.Value;
            counts[m.State] = counts.GetValueOrDefault(m.State) + 1;
            queued += m.QueuePosition is null ? 0 : 1;
            var seen = _bytesSeen.GetValueOrDefault(id);
            if (m.Progress.BytesTransferred > seen)
            {
                _bytes.Inc(m.Progress.BytesTransferred - seen);
                _bytesSeen[id] = m.Progress.BytesTransferred;
            }

            if (m.IsTerminal && _ended.Add(id))
            {
                _duration.WithLabels(m.State).Observe(Math.Max(0, (m.UpdatedAt - m.CreatedAt).TotalSeconds));
                if (m.State == nameof(MigrationPhase.Completed) && m.DowntimeMs is { } downtime)
                {
                    _downtime.Observe(downtime / 1000.0);
                }

                if (m.State == nameof(MigrationPhase.Failed))
                {
                    _failed.WithLabels(m.Code ?? "Unknown").Inc();
                }
            }
        }

        foreach (var (state, count) in counts)
        {
            _byState.WithLabels(state).Set(count);
        }

        _queued.Set(queued);
    }

    internal void ObserveHosts(IEnumerable<HostSnapshot> hosts)
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
