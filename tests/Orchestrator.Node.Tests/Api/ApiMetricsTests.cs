using Microsoft.Extensions.Time.Testing;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

public class ApiMetricsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static MigrationView View(string id, MigrationPhase state, string? code, DateTimeOffset? ended = null, long bytes = 0) => new(
        MigrationId.Parse(id), WorkloadId.Parse("vm-1"), HostId.Parse("host-a"), HostId.Parse("host-b"), state, 1,
        (ended ?? Start.AddSeconds(3)).AddSeconds(-3), ended ?? Start.AddSeconds(3), new MigrationProgress(bytes, 0, 0, 0, null), null, "why", [], [], [],
        MigrationStep.None, null, null, null, null, code);

    private static async Task<string> TextAsync(ApiMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Migration_outcomes_come_from_what_coordinators_record_under_prometheus_names()
    {
        using var metrics = new ApiMetrics(new FakeTimeProvider(Start));
        // The meter is the process's: codes of this test's own keep other tests' migrations out of its assertions.
        var failedCode = $"TestFailed{Guid.NewGuid():N}";
        var rolledBackCode = $"TestRolledBack{Guid.NewGuid():N}";
        long counted = 0;
        ClusterMetrics.RecordMigration(View("m-f1", MigrationPhase.Failed, failedCode, bytes: 700), ended: true, ref counted);
        Assert.Equal(700, counted);
        long other = 0;
        ClusterMetrics.RecordMigration(View("m-r1", MigrationPhase.RolledBack, rolledBackCode), ended: true, ref other);

        var text = await TextAsync(metrics);
        Assert.Contains($"orchestrator_migrations_failed_total{{code=\"{failedCode}\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"orchestrator_migrations_rolled_back_total{{code=\"{rolledBackCode}\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migration_duration_seconds_count{outcome=\"Failed\"}", text, StringComparison.Ordinal);

        // Bytes are counted as they move: what was counted before is not counted again.
        ClusterMetrics.RecordMigration(View("m-f1", MigrationPhase.PreCopying, null, bytes: 1000), ended: false, ref counted);
        Assert.Equal(1000, counted);
        ClusterMetrics.RecordMigration(View("m-f1", MigrationPhase.PreCopying, null, bytes: 1000), ended: false, ref counted);
        Assert.Equal(1000, counted);
    }

    [Fact]
    public async Task Gauges_describe_the_index_as_it_is_now_and_keep_nothing_per_migration()
    {
        using var metrics = new ApiMetrics(new FakeTimeProvider(Start));
        var views = new[] { View("m-f1", MigrationPhase.Failed, "SourceLost"), View("m-f2", MigrationPhase.Failed, "TargetStateLost"), View("m-ok", MigrationPhase.Completed, null) };
        metrics.ObserveMigrations(views);
        metrics.ObserveMigrations(views); // every replica update shows them again: a gauge, so the same value
        var text = await TextAsync(metrics);
        Assert.Contains("orchestrator_migrations{state=\"Failed\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations{state=\"Completed\"} 1", text, StringComparison.Ordinal);

        // An index update that does not list them (they aged out of the index): the gauges follow.
        metrics.ObserveMigrations([]);
        Assert.Contains("orchestrator_migrations{state=\"Failed\"} 0", await TextAsync(metrics), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stuck_migration_ages_at_every_scrape_without_any_change_in_the_index()
    {
        var clock = new FakeTimeProvider(Start.AddSeconds(10));
        using var metrics = new ApiMetrics(clock);
        Assert.Contains("orchestrator_migration_oldest_in_flight_seconds 0", await TextAsync(metrics), StringComparison.Ordinal);

        // Requested at Start (View: created 3 s before it ended or was last seen), then nothing changes for 10 minutes.
        metrics.ObserveMigrations([View("m-stuck", MigrationPhase.PreCopying, null, Start.AddSeconds(3))]);
        Assert.Contains("orchestrator_migration_oldest_in_flight_seconds 10", await TextAsync(metrics), StringComparison.Ordinal);
        clock.SetUtcNow(Start.AddMinutes(10));
        Assert.Contains("orchestrator_migration_oldest_in_flight_seconds 600", await TextAsync(metrics), StringComparison.Ordinal);

        metrics.ObserveMigrations([View("m-stuck", MigrationPhase.RolledBack, "Timeout", Start.AddMinutes(10))]);
        Assert.Contains("orchestrator_migration_oldest_in_flight_seconds 0", await TextAsync(metrics), StringComparison.Ordinal);
    }
}
