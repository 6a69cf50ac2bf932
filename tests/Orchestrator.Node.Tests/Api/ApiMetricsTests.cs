using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

public class ApiMetricsTests
{
    private static MigrationView View(string id, string state, string? code) => new(
        MigrationId.Parse(id), WorkloadId.Parse("vm-1"), HostId.Parse("host-a"), HostId.Parse("host-b"), state, 1,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(3), new MigrationProgress(0, 0, 0, 0, null), null, "why", [], [], [],
        "None", null, null, null, null, code);

    [Fact]
    public async Task Failed_migrations_are_counted_once_by_code()
    {
        var metrics = new ApiMetrics();
        var views = new[] { View("m-f1", "Failed", "SourceLost"), View("m-f2", "Failed", "TargetStateLost"), View("m-ok", "Completed", null) };
        metrics.ObserveMigrations(views);
        metrics.ObserveMigrations(views); // every replica update shows them again: counted once

        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("orchestrator_migrations_failed_total{code=\"SourceLost\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations_failed_total{code=\"TargetStateLost\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("orchestrator_migrations{state=\"Failed\"} 2", text, StringComparison.Ordinal);
    }
}
