using System.Diagnostics.Metrics;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// Migration metrics are System.Diagnostics.Metrics instruments recorded by the coordinator that runs the migration,
/// once: a coordinator that recovers an ended migration (on another node, for a read) records nothing again, and one
/// that took over counts only the bytes that move after it did.
/// </summary>
public class MigrationMetricsTests
{
    [Fact]
    public async Task A_migration_is_recorded_once_by_its_coordinator_and_not_again_when_an_ended_one_recovers()
    {
        var id = MigrationId.Parse("m-metrics-once");
        using var recorded = new Recorded(id.Value);
        await using var cluster = TestCluster.Create(TestTopologies.ThreeHosts);
        string[] hosts = ["host-a", "host-b", "host-c"];
        var first = await cluster.StartNodeAsync("node-1", hosts);
        await first.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        Assert.True((await first.Client.StartMigrationAsync(id, WorkloadId.Parse("vm-1"), HostId.Parse("host-b"))).IsOk);
        var end = await cluster.WaitForCompletedAsync(id, TimeSpan.FromSeconds(30));

        // The same journal under a new node: the ended coordinator recovers to answer the read, and records nothing.
        await first.StopAsync();
        var second = await cluster.StartNodeAsync("node-2", hosts);
        await second.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(10));
        var read = await second.Client.GetMigrationAsync(id);
        Assert.True(read.IsOk, read.Error?.Message);
        Assert.Equal(MigrationPhase.Completed, read.Value!.State);

        Assert.Equal([nameof(MigrationPhase.Completed)], recorded.Outcomes);
        Assert.Equal(end.DowntimeMs!.Value / 1000.0, Assert.Single(recorded.Downtimes), precision: 9);
        Assert.Equal(end.Progress.BytesTransferred, recorded.Bytes);
        Assert.True(recorded.Bytes > 0);
        Assert.Empty(recorded.Codes);
    }

    /// <summary>What the instruments recorded for one migration (the process's other migrations are left out).</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();

        public Recorded(string migration)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ClusterMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                if (Tag(tags, ClusterMetrics.MigrationTag) != migration)
                {
                    return;
                }

                lock (_gate)
                {
                    if (instrument == ClusterMetrics.MigrationDuration)
                    {
                        Outcomes.Add(Tag(tags, ClusterMetrics.OutcomeTag) ?? "?");
                    }
                    else if (instrument == ClusterMetrics.MigrationDowntime)
                    {
                        Downtimes.Add(value);
                    }
                }
            });
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (Tag(tags, ClusterMetrics.MigrationTag) != migration)
                {
                    return;
                }

                lock (_gate)
                {
                    if (instrument == ClusterMetrics.MigrationTransferred)
                    {
                        Bytes += value;
                    }
                    else if (instrument == ClusterMetrics.MigrationsFailed || instrument == ClusterMetrics.MigrationsRolledBack)
                    {
                        Codes.Add(Tag(tags, ClusterMetrics.CodeTag) ?? "?");
                    }
                }
            });
            _listener.Start();
        }

        public List<string> Outcomes { get; } = [];

        public List<double> Downtimes { get; } = [];

        public List<string> Codes { get; } = [];

        public long Bytes { get; private set; }

        public void Dispose() => _listener.Dispose();

        private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == key)
                {
                    return tag.Value as string;
                }
            }

            return null;
        }
    }
}
