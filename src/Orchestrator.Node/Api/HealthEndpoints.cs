using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Domain.Ids;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Api;

/// <summary>
/// <c>/healthz</c> (the process answers), <c>/readyz</c> (member Up, runtime started, journal reachable, every host actor
/// of this node answering).
/// </summary>
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
            else
            {
                problems.AddRange(await UnansweredHostsAsync(node.Runtime.Hosts, HostAnswerTimeout));
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

    /// <summary>How long a host actor has to answer <c>/readyz</c>: it answers from memory once its journal recovered.</summary>
    private static readonly TimeSpan HostAnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Asks every host actor of this node for its snapshot, in parallel. A host actor that died (nothing restarts a
    /// stopped one) or whose journal has not recovered yet (it stashes until then) does not answer: the node cannot run
    /// migrations on that host, so it is not ready.
    /// </summary>
    private static async Task<IEnumerable<string>> UnansweredHostsAsync(IReadOnlyDictionary<HostId, IActorRef> hosts, TimeSpan timeout)
    {
        var answers = await Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                await h.Value.Ask<HostSnapshot>(HostProtocol.GetHostSnapshot.Instance, timeout);
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
