using Akka.Cluster;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary><c>/healthz</c> (the process answers), <c>/readyz</c> (member Up, runtime started, journal reachable).</summary>
public static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => Results.Text("ok\n")).WithName("Health");
        app.MapGet("/readyz", async (NodeRuntime node, JournalProbe journal, CancellationToken ct) =>
        {
            var problems = new List<string>();
            var member = node.System is { } system ? Akka.Cluster.Cluster.Get(system).SelfMember.Status : MemberStatus.Removed;
            if (member != MemberStatus.Up)
            {
                problems.Add($"cluster member is {(node.System is null ? "not started" : member.ToString())}, not Up");
            }

            if (node.Runtime is null)
            {
                problems.Add("runtime not started");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            if (await journal.CheckAsync(timeout.Token) is { } journalProblem)
            {
                problems.Add(journalProblem);
            }

            return problems.Count == 0
                ? Results.Text("ready\n")
                : Results.Problem(detail: string.Join("; ", problems), statusCode: StatusCodes.Status503ServiceUnavailable, title: "not ready");
        }).WithName("Ready");
    }
}
