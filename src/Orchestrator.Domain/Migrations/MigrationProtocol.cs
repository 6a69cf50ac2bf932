using System.Text;

namespace Orchestrator.Domain.Migrations;

/// <summary>
/// The allowed phase arcs of a migration: <see cref="MigrationState.Apply"/> refuses any other phase change, and the
/// README's protocol diagram is <see cref="Diagram"/> (a test keeps them equal).
/// </summary>
public static class MigrationProtocol
{
    private static readonly MigrationPhase[] BeforeCommit =
    [
        MigrationPhase.Requested, MigrationPhase.Placed, MigrationPhase.TargetPrepared, MigrationPhase.PreCopying,
        MigrationPhase.SwitchoverStarted, MigrationPhase.StateTransferred, MigrationPhase.TargetLoaded,
    ];

    /// <summary>Every allowed (from → to) phase change.</summary>
    public static IReadOnlyList<(MigrationPhase From, MigrationPhase To)> Arcs { get; } =
    [
        (MigrationPhase.New, MigrationPhase.Requested),
        (MigrationPhase.New, MigrationPhase.RolledBack), // withdrawn: a tombstone, nothing ran
        (MigrationPhase.Requested, MigrationPhase.Placed),
        (MigrationPhase.Placed, MigrationPhase.TargetPrepared),
        (MigrationPhase.TargetPrepared, MigrationPhase.PreCopying),
        (MigrationPhase.TargetPrepared, MigrationPhase.SwitchoverStarted),
        (MigrationPhase.PreCopying, MigrationPhase.SwitchoverStarted),
        (MigrationPhase.SwitchoverStarted, MigrationPhase.StateTransferred),
        (MigrationPhase.StateTransferred, MigrationPhase.TargetLoaded),
        (MigrationPhase.TargetLoaded, MigrationPhase.Committed),
        (MigrationPhase.Committed, MigrationPhase.TargetRunning),
        (MigrationPhase.TargetRunning, MigrationPhase.SourceReleased),
        (MigrationPhase.SourceReleased, MigrationPhase.Completed),
        .. BeforeCommit.Select(p => (p, MigrationPhase.RollingBack)),
        (MigrationPhase.RollingBack, MigrationPhase.RolledBack),
        (MigrationPhase.Committed, MigrationPhase.Failed),
        (MigrationPhase.TargetRunning, MigrationPhase.Failed),
        (MigrationPhase.SourceReleased, MigrationPhase.Failed),
        (MigrationPhase.RollingBack, MigrationPhase.Failed),
    ];

    /// <summary>Whether <paramref name="phase"/> is terminal.</summary>
    public static bool IsTerminal(MigrationPhase phase) => phase is MigrationPhase.Completed or MigrationPhase.RolledBack or MigrationPhase.Failed;

    /// <summary>
    /// Whether <paramref name="e"/> ends its migration: the event that enters a terminal phase (Completed, RolledBack,
    /// withdrawn as RolledBack, or Failed). It is a migration's last event; nothing is applied after it.
    /// </summary>
    public static bool Ends(IMigrationEvent e) =>
        e is MigrationEvents.MigrationCompleted or MigrationEvents.MigrationRolledBack or MigrationEvents.MigrationWithdrawn or MigrationEvents.MigrationFailed;

    /// <summary>Whether <paramref name="phase"/> is a forward phase before the point of no return (abort is accepted).</summary>
    public static bool IsBeforeCommit(MigrationPhase phase) => Array.IndexOf(BeforeCommit, phase) >= 0;

    /// <summary>Whether <paramref name="phase"/> is at or after the point of no return (forward only).</summary>
    public static bool IsCommitted(MigrationPhase phase) =>
        phase is MigrationPhase.Committed or MigrationPhase.TargetRunning or MigrationPhase.SourceReleased or MigrationPhase.Completed;

    /// <summary>Whether <paramref name="from"/> → <paramref name="to"/> is allowed.</summary>
    public static bool IsAllowed(MigrationPhase from, MigrationPhase to) => Arcs.Contains((from, to));

    /// <summary>Phases whose entering event is a checkpoint.</summary>
    public static IReadOnlySet<MigrationPhase> CheckpointPhases { get; } = new HashSet<MigrationPhase>
    {
        MigrationPhase.Requested, MigrationPhase.Placed, MigrationPhase.TargetPrepared, MigrationPhase.SwitchoverStarted,
        MigrationPhase.Committed, MigrationPhase.SourceReleased, MigrationPhase.Completed, MigrationPhase.RollingBack,
        MigrationPhase.RolledBack, MigrationPhase.Failed,
    };

    /// <summary>The arcs as text, one line per phase with its successors; checkpoints marked <c>*</c>.</summary>
    public static string Diagram()
    {
        var text = new StringBuilder();
        foreach (var from in Enum.GetValues<MigrationPhase>())
        {
            var to = Arcs.Where(a => a.From == from).Select(a => Name(a.To)).ToList();
            text.Append(Name(from).PadRight(19)).Append(" -> ")
                .Append(to.Count == 0 ? "(terminal)" : string.Join(" | ", to)).Append('\n');
        }

        return text.ToString();
    }

    private static string Name(MigrationPhase phase) =>
        CheckpointPhases.Contains(phase) ? phase + "*" : phase.ToString();
}
