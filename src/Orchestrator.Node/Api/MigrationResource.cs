using Orchestrator.Cluster.Migrations;

namespace Orchestrator.Node.Api;

/// <summary>
/// A migration as the API shows it: <c>{id, workload, source, target, state, epoch, createdAt, updatedAt, progress,
/// downtimeMs, reason, checkpoints}</c> (the contract) plus the pre-copy curve (<c>rounds</c>), the VF pairs, the
/// current step, the admission queue position and the last error; a Failed migration's failure code in <c>code</c>
/// (<c>SourceLost</c>, <c>TargetLost</c>, <c>TargetStateLost</c>, <c>RetriesExhausted</c>) with its <c>reason</c>; the
/// effective <c>policy</c> it runs under; <c>status</c>, the coarse status a scheduler acts on: <c>Queued</c> (waiting
/// for admission or a PF's migration slot, at <c>queuePosition</c>), <c>Running</c>, <c>RollingBack</c>,
/// <c>Completed</c>, <c>RolledBack</c> or <c>Failed</c>.
/// </summary>
public sealed record MigrationResource(
    string Id,
    string Workload,
    string? Source,
    string? Target,
    string State,
    long Epoch,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    MigrationProgress Progress,
    double? DowntimeMs,
    string? Reason,
    IReadOnlyList<MigrationCheckpoint> Checkpoints,
    IReadOnlyList<MigrationRound> Rounds,
    IReadOnlyList<MigrationVfResource> Vfs,
    string Step,
    int? QueuePosition,
    string? LastError,
    bool Terminal,
    string? Code = null,
    MigrationPolicyView? Policy = null,
    string Status = MigrationView.Running)
{
    public static MigrationResource From(MigrationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new MigrationResource(
            view.Id.Value,
            view.Workload.Value,
            view.Source?.Value,
            view.Target?.Value,
            view.State.ToString(),
            view.Epoch,
            view.CreatedAt,
            view.UpdatedAt,
            view.Progress,
            view.DowntimeMs,
            view.Reason,
            [.. view.Timeline.Select(t => new MigrationCheckpoint(t.State.ToString(), t.At))],
            view.Rounds,
            [.. view.Vfs.Select(v => new MigrationVfResource(v.Source.ToString(), v.Target.ToString(), v.Kind, v.Profile.Value))],
            view.Step.ToString(),
            view.QueuePosition,
            view.LastError,
            view.IsTerminal,
            view.Code,
            view.Policy,
            view.Status);
    }

    /// <summary>Where the migration resource lives.</summary>
    public static string Location(string id) => $"/api/v1/migrations/{id}";
}

/// <summary>A source VF and the target VF it moves to.</summary>
public sealed record MigrationVfResource(string Source, string Target, string Kind, string Profile);

/// <summary>When the migration reached a protocol state: every state it passed, in order.</summary>
public sealed record MigrationCheckpoint(string State, DateTimeOffset At);
