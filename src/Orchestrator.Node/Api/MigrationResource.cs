using Orchestrator.Client;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Node.Api;

/// <summary>
/// The API's migration resource: the client package's <see cref="ApiMigration"/>, made from a
/// <see cref="MigrationView"/>. The server answers with the client's own records, so that the two cannot drift; the
/// OpenAPI document names them as it always has (<see cref="ApiDocument.SchemaNames"/>).
/// </summary>
public static class MigrationResource
{
    /// <summary>The resource of <paramref name="view"/>: typed ids as text, phases and steps by name, the policy in the API's units.</summary>
    public static ApiMigration From(MigrationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var p = view.Progress;
        return new ApiMigration(
            view.Id.Value,
            view.Workload.Value,
            view.Source?.Value,
            view.Target?.Value,
            view.State.ToString(),
            view.Epoch,
            view.CreatedAt,
            view.UpdatedAt,
            new ApiProgress(p.BytesTransferred, p.BytesRemaining, p.Rounds, p.DirtyBytesPerSecond, p.PredictedDowntimeMs),
            view.DowntimeMs,
            view.Reason,
            [.. view.Timeline.Select(t => new ApiCheckpoint(t.State.ToString(), t.At))],
            [.. view.Rounds.Select(r => new ApiRound(r.Round, r.BytesTransferred, r.BytesRemaining, r.DirtyBytesPerSecond, r.BandwidthBytesPerSecond, r.PredictedDowntimeMs, r.At))],
            [.. view.Vfs.Select(v => new ApiMigrationVf(v.Source.ToString(), v.Target.ToString(), v.Kind, v.Profile.Value))],
            view.Step.ToString(),
            view.QueuePosition,
            view.LastError,
            view.IsTerminal,
            view.Code,
            view.Policy is { } policy ? Policy(policy) : null,
            view.Status);
    }

    /// <summary><paramref name="policy"/> in the API's units: milliseconds, seconds and the action's short name.</summary>
    public static ApiPolicy Policy(MigrationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new ApiPolicy(
            policy.DowntimeLimit.TotalMilliseconds,
            policy.BandwidthCapBytesPerSecond,
            policy.MaxPreCopyRounds,
            policy.CompletionTimeoutPerGiB.TotalSeconds,
            policy.ProgressTimeout.TotalSeconds,
            NonConvergenceActions.Name(policy.NonConvergenceAction),
            policy.SwitchoverAckWait.TotalMilliseconds);
    }

    /// <summary>Where the migration resource lives.</summary>
    public static string Location(string id) => $"/api/v1/migrations/{id}";
}
