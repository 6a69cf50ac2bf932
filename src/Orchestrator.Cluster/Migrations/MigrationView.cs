using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// A migration as clients see it: flat and serializable, built from the coordinator's state after every event.
/// The API's migration resource is made from it, in the API's units. <see cref="Policy"/> is the effective policy (the
/// node's defaults with what the request set); null only in views built by hand. <see cref="Code"/> is the
/// <see cref="FailureCode"/> of a Failed migration, or the <see cref="RollbackCode"/> of one rolling or rolled back
/// (with <see cref="Reason"/>), else null.
/// </summary>
public sealed record MigrationView(
    MigrationId Id,
    WorkloadId Workload,
    HostId? Source,
    HostId? Target,
    MigrationPhase State,
    long Epoch,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    MigrationProgress Progress,
    double? DowntimeMs,
    string? Reason,
    IReadOnlyList<MigrationTimelineEntry> Timeline,
    IReadOnlyList<MigrationRound> Rounds,
    IReadOnlyList<MigrationVfPair> Vfs,
    MigrationStep Step,
    int? QueuePosition,
    string? LastError,
    string? Coordinator,
    HostId? RequestedTarget = null,
    string? Code = null,
    MigrationPolicy? Policy = null) : IOrchestratorMessage
{
    /// <summary>True once Completed, RolledBack or Failed.</summary>
    public bool IsTerminal => State is MigrationPhase.Completed or MigrationPhase.RolledBack or MigrationPhase.Failed;

    /// <summary>The coarse status a scheduler acts on: one of <see cref="Statuses"/>.</summary>
    public string Status =>
        IsTerminal || State == MigrationPhase.RollingBack ? State.ToString()
        : QueuePosition is not null ? Queued
        : Running;

    /// <summary>Waiting for admission or for a PF's migration slot; <see cref="QueuePosition"/> says where (1 is next).</summary>
    public const string Queued = "Queued";

    /// <summary>Making progress: placing, preparing, pre-copying, switching over, finishing.</summary>
    public const string Running = "Running";

    /// <summary>Every <see cref="Status"/>: two waiting or moving, one going back, three ends.</summary>
    public static IReadOnlyList<string> Statuses { get; } =
        [Queued, Running, nameof(MigrationPhase.RollingBack), nameof(MigrationPhase.Completed), nameof(MigrationPhase.RolledBack), nameof(MigrationPhase.Failed)];

    public static MigrationView From(MigrationState s, DateTimeOffset now, int? queuePosition = null, string? coordinator = null)
    {
        var last = s.Rounds.Count > 0 ? s.Rounds[^1] : null;
        var transferred = s.FinalState?.Bytes ?? last?.BytesTransferred ?? 0;
        var progress = new MigrationProgress(
            transferred,
            s.FinalState is not null ? 0 : last?.BytesRemaining ?? s.StateBytes,
            s.Rounds.Count,
            (long)(last?.DirtyRateBytesPerSecond ?? 0),
            last is null ? null : last.PredictedDowntime.TotalMilliseconds);
        return new MigrationView(
            s.Id,
            s.Workload,
            s.SourceHost,
            s.Placement?.Host,
            s.Phase,
            s.Epoch.Value,
            s.RequestedAt ?? now,
            s.Timeline.Count > 0 ? s.Timeline[^1].At : now,
            progress,
            s.MeasuredDowntime?.TotalMilliseconds,
            s.FailureReason ?? s.RollbackReason,
            [.. s.Timeline.Select(t => new MigrationTimelineEntry(t.Phase, t.At))],
            [.. s.Rounds.Select(r => new MigrationRound(r.Round, r.BytesTransferred, r.BytesRemaining, (long)r.DirtyRateBytesPerSecond, (long)r.BandwidthBytesPerSecond, r.PredictedDowntime.TotalMilliseconds, r.At))],
            [.. s.Vfs.Select(v => new MigrationVfPair(v.Source, v.Target, v.Kind.ToString().ToLowerInvariant(), v.Profile))],
            s.IsTerminal ? MigrationStep.None : s.CurrentStep,
            queuePosition,
            s.LastError,
            coordinator,
            s.RequestedTarget,
            s.FailureCode?.ToString() ?? s.RollbackCode?.ToString(),
            s.Policy);
    }
}

/// <summary>Progress now: what moved, what is left, how fast state is dirtied, the downtime it predicts.</summary>
public sealed record MigrationProgress(long BytesTransferred, long BytesRemaining, int Rounds, long DirtyBytesPerSecond, double? PredictedDowntimeMs);

/// <summary>When the migration reached a protocol state (every state it passed, not only the checkpoints).</summary>
public sealed record MigrationTimelineEntry(MigrationPhase State, DateTimeOffset At);

/// <summary>One pre-copy round, kept so an ended migration still shows its curve.</summary>
public sealed record MigrationRound(int Round, long BytesTransferred, long BytesRemaining, long DirtyBytesPerSecond, long BandwidthBytesPerSecond, double PredictedDowntimeMs, DateTimeOffset At);

/// <summary>A source VF and the target VF it moves to.</summary>
public sealed record MigrationVfPair(VfId Source, VfId Target, string Kind, ProfileId Profile);
