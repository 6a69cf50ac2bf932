using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Tests.Hosting;

/// <summary>The journal's readiness check: a brief outage is Degraded (still ready), a long one Unhealthy; probes are shared.</summary>
public class JournalHealthCheckTests
{
    private static readonly HealthCheckContext Context = new();

    [Fact]
    public async Task An_outage_within_the_grace_is_degraded_past_it_unhealthy_and_an_answer_makes_it_healthy_again()
    {
        var time = new FakeTimeProvider();
        string? problem = null;
        var probes = 0;
        var check = new JournalHealthCheck(_ => { probes++; return Task.FromResult(problem); }, time, TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);

        problem = "journal database (PostgreSql) does not answer: connection refused";
        time.Advance(JournalHealthCheck.ProbeInterval);
        var brief = await check.CheckHealthAsync(Context);
        Assert.Equal(HealthStatus.Degraded, brief.Status);
        Assert.Contains("connection refused", brief.Description, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthStatus.Degraded, (await check.CheckHealthAsync(Context)).Status);
        time.Advance(TimeSpan.FromSeconds(2));
        var long_ = await check.CheckHealthAsync(Context);
        Assert.Equal(HealthStatus.Unhealthy, long_.Status);
        Assert.Contains("grace 30 s", long_.Description, StringComparison.Ordinal);

        problem = null;
        time.Advance(JournalHealthCheck.ProbeInterval);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);

        // A new outage starts its own grace.
        problem = "down again";
        time.Advance(JournalHealthCheck.ProbeInterval);
        Assert.Equal(HealthStatus.Degraded, (await check.CheckHealthAsync(Context)).Status);
        Assert.Equal(6, probes); // each check came at least a probe interval after the last
    }

    [Fact]
    public async Task Calls_within_the_probe_interval_share_one_probe()
    {
        var time = new FakeTimeProvider();
        var probes = 0;
        var check = new JournalHealthCheck(_ => { Interlocked.Increment(ref probes); return Task.FromResult<string?>(null); }, time, TimeSpan.FromSeconds(30));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => check.CheckHealthAsync(Context)));
        Assert.Equal(1, probes);
        time.Advance(JournalHealthCheck.ProbeInterval);
        await check.CheckHealthAsync(Context);
        Assert.Equal(2, probes);
    }

    [Fact]
    public async Task With_no_grace_an_outage_is_unhealthy_at_once()
    {
        var check = new JournalHealthCheck(_ => Task.FromResult<string?>("down"), new FakeTimeProvider(), TimeSpan.Zero);
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(Context)).Status);
    }
}
