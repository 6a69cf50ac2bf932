using Orchestrator.Domain.Ids;

namespace Orchestrator.Node.Api;

/// <summary>
/// The body <c>{"workload": "vm-1", "target": "host-b"}</c> (target optional) that starting a migration and asking
/// for a placement both take; a bad field answers 400 naming it.
/// </summary>
public sealed record WorkloadRequest(WorkloadId Workload, HostId? Target)
{
    private static readonly string[] Fields = ["workload", "target"];

    /// <summary>Reads and validates the body; exactly one of the two results is set.</summary>
    public static async Task<(WorkloadRequest? Request, IResult? Problem)> ReadAsync(HttpRequest request)
    {
        var (body, problem) = await RequestBody.ReadAsync(request, Fields);
        if (body is null)
        {
            return (null, problem!);
        }

        var workloadText = body.Text("workload", required: true, ref problem);
        var targetText = body.Text("target", required: false, ref problem);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (!ApiIds.TryWorkload("workload", workloadText, out var workload, out problem))
        {
            return (null, problem);
        }

        if (targetText is null)
        {
            return (new WorkloadRequest(workload, null), null);
        }

        return ApiIds.TryHost("target", targetText, out var target, out problem)
            ? (new WorkloadRequest(workload, target), null)
            : (null, problem);
    }
}
