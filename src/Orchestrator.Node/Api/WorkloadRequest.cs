using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Node.Api;

/// <summary>
/// The body <c>{"workload": "vm-1", "target": "host-b"}</c> (target optional) that starting a migration and asking
/// for a placement both take; a bad field answers 400 naming it. Starting a migration also takes an optional
/// <c>policy</c> object (<see cref="PolicyRequest"/>), laid over the node's default policy.
/// </summary>
public sealed record WorkloadRequest(WorkloadId Workload, HostId? Target, MigrationPolicy? Policy = null)
{
    private static readonly string[] Fields = ["workload", "target"];
    private static readonly string[] FieldsWithPolicy = ["workload", "target", "policy"];

    /// <summary>
    /// Reads and validates the body; exactly one of the two results is set. With <paramref name="defaultPolicy"/> a
    /// <c>policy</c> field is allowed, and <see cref="Policy"/> is the effective policy when the body has one (null when
    /// it has none: the caller uses the default).
    /// </summary>
    public static async Task<(WorkloadRequest? Request, IResult? Problem)> ReadAsync(HttpRequest request, MigrationPolicy? defaultPolicy = null)
    {
        var (body, problem) = await RequestBody.ReadAsync(request, defaultPolicy is null ? Fields : FieldsWithPolicy);
        if (body is null)
        {
            return (null, problem!);
        }

        var workloadText = body.Text("workload", required: true, ref problem);
        var targetText = body.Text("target", required: false, ref problem);
        var policyObject = defaultPolicy is null ? null : body.Nested("policy", ref problem);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (!ApiIds.TryWorkload("workload", workloadText, out var workload, out problem))
        {
            return (null, problem);
        }

        MigrationPolicy? policy = null;
        if (policyObject is { } asked && defaultPolicy is not null)
        {
            (policy, problem) = PolicyRequest.Read(asked, defaultPolicy);
            if (problem is not null)
            {
                return (null, problem);
            }
        }

        if (targetText is null)
        {
            return (new WorkloadRequest(workload, null, policy), null);
        }

        return ApiIds.TryHost("target", targetText, out var target, out problem)
            ? (new WorkloadRequest(workload, target, policy), null)
            : (null, problem);
    }
}
