using Microsoft.Extensions.Time.Testing;
using Orchestrator.Cluster.Migrations;
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
    public async Task Failed_migrations_are_counted_once_by_code()
    {
        var metrics = new ApiMetrics(new FakeTimeProvider(Start), TimeSpan.FromHours(24));
        var views = new[] { View("m-f1", MigrationPhase.Failed, "SourceLost"), View("m-f2", MigrationPhase.Failed, "TargetStateLost"), View("m-ok", MigrationPhase.Completed, null) };
        metrics.ObserveMigrations(views);
        metrics.ObserveMigrations(views); // every replica update shows them again: counted once

        var text = await TextAsync(metrics);
        Assert.Contains("orchestrator_migrations_failed_total{code=\"SourceLost\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations_failed_total{code=\"TargetStateLost\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations{state=\"Failed\"} 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restarted_node_counts_only_what_it_saw_and_remembers_a_bounded_set()
    {
        // The index still lists what ended before this node started: counted by the node that saw it, not again here.
        var clock = new FakeTimeProvider(Start);
        var metrics = new ApiMetrics(clock, TimeSpan.FromHours(1));
        metrics.ObserveMigrations([View("m-before", MigrationPhase.Failed, "SourceLost", Start.AddMinutes(-5), bytes: 1000)]);
        var text = await TextAsync(metrics);
        Assert.DoesNotContain("orchestrator_migrations_failed_total{code=\"SourceLost\"}", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migration_transferred_bytes_total 0", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations{state=\"Failed\"} 1", text, StringComparison.Ordinal); // a gauge: the present

        // Ten that end after it started are counted, each once; then, past the retention, they are forgotten.
        var after = Enumerable.Range(0, 10).Select(i => View($"m-after-{i}", MigrationPhase.Failed, "TargetLost", Start.AddMinutes(1), bytes: 100)).ToList();
        clock.SetUtcNow(Start.AddMinutes(2));
        metrics.ObserveMigrations(after);
        metrics.ObserveMigrations(after);
        text = await TextAsync(metrics);
        Assert.Contains("orchestrator_migrations_failed_total{code=\"TargetLost\"} 10", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migration_transferred_bytes_total 1000", text, StringComparison.Ordinal);
        Assert.Equal(10, metrics.Remembered);

        // Two hours on, the same ended views (say, republished by a coordinator recovered for a read) count nothing.
        clock.SetUtcNow(Start.AddHours(2));
        metrics.ObserveMigrations(after);
        Assert.Equal(0, metrics.Remembered);
        text = await TextAsync(metrics);
        Assert.Contains("orchestrator_migrations_failed_total{code=\"TargetLost\"} 10", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stuck_migration_ages_at_every_scrape_without_any_change_in_the_index()
    {
        var clock = new FakeTimeProvider(Start.AddSeconds(10));
        var metrics = new ApiMetrics(clock, TimeSpan.FromHours(24));
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
