using System.Text;
using Akka.Actor;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>/healthz</c> (the process answers), <c>/livez</c> (the actor system runs: restart the process when not) and
/// <c>/readyz</c> (member Up, runtime started, every host actor of this node answering, the journal reachable or
/// unreachable for less than its grace, the placement authority and the migrations' shard coordinator answering), as
/// ASP.NET health checks; Akka.Hosting provides the actor-system and cluster ones. A 503 names every failing check and
/// why.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>The tag of the checks behind <c>/readyz</c>.</summary>
    public const string Ready = "ready";

    /// <summary>The tag of the checks behind <c>/livez</c>.</summary>
    public const string Live = "live";

    /// <summary>Registers this node's own checks (the actor system's and the cluster's come with Akka.Hosting).</summary>
    public static IServiceCollection AddNodeHealthChecks(this IServiceCollection services)
    {
        // One journal check for the node's life: its cached probe and outage start are its state.
        services.AddSingleton<JournalHealthCheck>();
        services.AddHealthChecks()
            .AddCheck<HostsHealthCheck>("hosts", tags: [Ready])
            .AddCheck<JournalHealthCheck>("journal", tags: [Ready])
            .AddCheck<MigrationsHealthCheck>("migrations", tags: [Ready]);
        return services;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => Results.Text("ok\n")).WithName("Health");
        app.MapGet("/readyz", (HealthCheckService health, CancellationToken ct) => ReportAsync(health, Ready, "ready", ct)).WithName("Ready");
        app.MapGet("/livez", (HealthCheckService health, CancellationToken ct) => ReportAsync(health, Live, "live", ct)).WithName("Live");
    }

    /// <summary>The checks tagged <paramref name="tag"/>: 200 (Degraded too, saying so) or 503 naming each failing check.</summary>
    private static async Task<IResult> ReportAsync(HealthCheckService health, string tag, string word, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(tag), ct);
        if (report.Status == HealthStatus.Unhealthy)
        {
            var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy)
                .Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message ?? "failed"}");
            return Results.Text($"not {word}: {string.Join("; ", failing)}\n", "text/plain", Encoding.UTF8, StatusCodes.Status503ServiceUnavailable);
        }

        // Degraded is still ready (a journal outage within its grace); say so.
        var degraded = report.Entries.Where(e => e.Value.Status == HealthStatus.Degraded).Select(e => $"{e.Key}: {e.Value.Description}").ToList();
        return Results.Text(degraded.Count == 0 ? word + "\n" : $"{word} (degraded: {string.Join("; ", degraded)})\n", "text/plain", Encoding.UTF8);
    }
}

/// <summary>
/// Every host actor of this node answers (in parallel, within 2 s). A host actor that died (nothing restarts a stopped
/// one) or whose journal has not recovered yet (it stashes until then) does not: the node cannot run migrations on that
/// host, so it is not ready.
/// </summary>
internal sealed class HostsHealthCheck(NodeRuntime node) : IHealthCheck
{
    /// <summary>How long a host actor has to answer: it answers from memory once its journal recovered.</summary>
    private static readonly TimeSpan HostAnswerTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (node.Runtime is not { } runtime)
        {
            return HealthCheckResult.Unhealthy("runtime not started");
        }

        var problems = (await UnansweredAsync(runtime.Hosts, HostAnswerTimeout)).ToList();
        return problems.Count == 0 ? HealthCheckResult.Healthy($"{runtime.Hosts.Count} host(s) answer") : HealthCheckResult.Unhealthy(string.Join("; ", problems));
    }

    private static async Task<IEnumerable<string>> UnansweredAsync(IReadOnlyDictionary<HostId, IActorRef> hosts, TimeSpan timeout)
    {
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                await h.Value.Ask<HostEntry>(HostProtocol.GetHostEntry.Instance, timeout);
                return null;
            }
            catch (AskTimeoutException)
            {
                return $"host {h.Key} did not answer within {timeout.TotalSeconds:0.#} s (its actor stopped, or its journal has not recovered)";
            }
        }));
        return answers.OfType<string>();
    }
}

/// <summary>
/// The cluster singletons a new migration needs answer: the placement authority (it places once its ledger recovered
/// and it read the directory) and the migrations' shard coordinator (it gives a new coordinator its home). Until both
/// do, a POST /migrations waits for them and times out; a scheduler that sends traffic to a node because it is ready
/// must not see that (the 3-process bench did, at every cluster start: issue 16).
/// </summary>
internal sealed class MigrationsHealthCheck(NodeRuntime node) : IHealthCheck
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (node.Runtime is not { } runtime)
        {
            return HealthCheckResult.Unhealthy("runtime not started");
        }

        var authority = runtime.Placement.Ask<Cluster.Migrations.PlacementProtocol.AuthorityReady>(Cluster.Migrations.PlacementProtocol.ProbeReady.Instance, AnswerTimeout, cancellationToken);
        var regions = runtime.Migrations.Ask<Akka.Cluster.Sharding.CurrentRegions>(Akka.Cluster.Sharding.GetCurrentRegions.Instance, AnswerTimeout, cancellationToken);
        var problems = new List<string>();
        try
        {
            await authority;
        }
        catch (AskTimeoutException)
        {
            problems.Add($"the placement authority did not answer within {AnswerTimeout.TotalSeconds:0.#} s (starting, recovering its ledger, or moving to another node)");
        }

        try
        {
            if ((await regions).Regions.Count == 0)
            {
                problems.Add("the migrations' shard coordinator is not known yet");
            }
        }
        catch (AskTimeoutException)
        {
            problems.Add($"the migrations' shard coordinator did not answer within {AnswerTimeout.TotalSeconds:0.#} s");
        }

        return problems.Count == 0 ? HealthCheckResult.Healthy("placement and shard coordinator answer") : HealthCheckResult.Unhealthy(string.Join("; ", problems));
    }
}
