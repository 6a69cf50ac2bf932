using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Contract;

/// <summary>
/// The VFIO migration state machine exactly as the kernel computes it (<c>vfio_mig_get_next_state</c> in
/// <c>drivers/vfio/vfio_main.c</c>): which states a flag set supports, the next hop of a request FROM→TO, the whole
/// path, and why a request is refused. Conformance against <c>shared/reference/vfio-fsm.json</c> is tested.
/// </summary>
/// <remarks>
/// <code>
///            +--------- RUNNING_P2P ---------+            (full flag set; the skip loop re-routes
///            |      /        |       \       |             around states a device lacks)
///   RUNNING -+  PRE_COPY -- PRE_COPY_P2P    STOP -- STOP_COPY
///                                            |
///                                         RESUMING
/// </code>
/// A path passes through a saving state (PRE_COPY, PRE_COPY_P2P, STOP_COPY) only between two saving states, and
/// STOP_COPY→PRE_COPY(_P2P) is refused (the table says ERROR; the patched kernel returns -EINVAL).
/// </remarks>
public static class VfioFsm
{
    private const uint AllFlags = uint.MaxValue;

    // vfio_from_fsm_table[cur][new], rows and columns in enum order: ERROR, STOP, RUNNING, STOP_COPY, RESUMING,
    // RUNNING_P2P, PRE_COPY, PRE_COPY_P2P.
    private static readonly S[,] Table =
    {
        /* ERROR */        { S.Error, S.Error, S.Error, S.Error, S.Error, S.Error, S.Error, S.Error },
        /* STOP */         { S.Error, S.Stop, S.RunningP2P, S.StopCopy, S.Resuming, S.RunningP2P, S.RunningP2P, S.RunningP2P },
        /* RUNNING */      { S.Error, S.RunningP2P, S.Running, S.RunningP2P, S.RunningP2P, S.RunningP2P, S.PreCopy, S.RunningP2P },
        /* STOP_COPY */    { S.Error, S.Stop, S.Stop, S.StopCopy, S.Stop, S.Stop, S.Error, S.Error },
        /* RESUMING */     { S.Error, S.Stop, S.Stop, S.Stop, S.Resuming, S.Stop, S.Stop, S.Stop },
        /* RUNNING_P2P */  { S.Error, S.Stop, S.Running, S.Stop, S.Stop, S.RunningP2P, S.Running, S.PreCopyP2P },
        /* PRE_COPY */     { S.Error, S.Running, S.Running, S.PreCopyP2P, S.Running, S.Running, S.PreCopy, S.PreCopyP2P },
        /* PRE_COPY_P2P */ { S.Error, S.RunningP2P, S.RunningP2P, S.StopCopy, S.RunningP2P, S.RunningP2P, S.PreCopy, S.PreCopyP2P },
    };

    /// <summary>Number of device states (<c>VFIO_DEVICE_STATE_NR</c>).</summary>
    public const int StateCount = 8;

    /// <summary>True for the four flag sets the uAPI defines (STOP_COPY always present).</summary>
    public static bool IsDefinedFlagSet(MigrationFlags flags) =>
        flags.HasFlag(MigrationFlags.StopCopy) &&
        (flags & ~(MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy)) == 0;

    /// <summary>The flags a state needs (<c>vfio_from_fsm_table</c>'s companion <c>state_flags_table</c>).</summary>
    public static uint RequiredFlags(S state) => state switch
    {
        S.Stop or S.Running or S.StopCopy or S.Resuming => (uint)MigrationFlags.StopCopy,
        S.RunningP2P => (uint)(MigrationFlags.StopCopy | MigrationFlags.P2P),
        S.PreCopy => (uint)(MigrationFlags.StopCopy | MigrationFlags.PreCopy),
        S.PreCopyP2P => (uint)(MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy),
        _ => AllFlags, // ERROR, and anything out of range, is never supported.
    };

    /// <summary>Whether a device with <paramref name="flags"/> may be in <paramref name="state"/> (ERROR: never requestable).</summary>
    public static bool Supports(MigrationFlags flags, S state) =>
        (RequiredFlags(state) & (uint)flags) == RequiredFlags(state);

    /// <summary>The states a flag set supports, in numeric order.</summary>
    public static IReadOnlyList<S> SupportedStates(MigrationFlags flags) =>
        [.. VfioNames.AllStates.Where(s => Supports(flags, s))];

    /// <summary>True when the saving data stream stays open in this state.</summary>
    public static bool IsSavingState(S state) => state is S.PreCopy or S.PreCopyP2P or S.StopCopy;

    /// <summary>
    /// The next hop the kernel takes from <paramref name="from"/> towards <paramref name="to"/>, or why it refuses.
    /// FROM == TO answers FROM (drivers never ask then).
    /// </summary>
    public static FsmStep NextStep(MigrationFlags flags, S from, S to)
    {
        if ((int)from is < 0 or >= StateCount || !Supports(flags, from))
        {
            return FsmStep.Refused(FsmRefusal.FromUnsupported);
        }

        if ((int)to is < 0 or >= StateCount || !Supports(flags, to))
        {
            return FsmStep.Refused(FsmRefusal.TargetUnsupported);
        }

        var next = Table[(int)from, (int)to];
        // The skip loop of the patched kernel: ERROR ends it (the literal C would spin forever on it).
        while (next != S.Error && !Supports(flags, next))
        {
            next = Table[(int)next, (int)to];
        }

        return next == S.Error ? FsmStep.Refused(FsmRefusal.BlockedArc) : FsmStep.To(next);
    }

    /// <summary>
    /// The whole path FROM→TO inclusive (FROM first), as the kernel walks it hop by hop; or the refusal of the
    /// first hop that is refused.
    /// </summary>
    public static FsmPath Path(MigrationFlags flags, S from, S to)
    {
        // FROM == TO still asks the kernel, which refuses unsupported states (ERROR->ERROR is refused).
        if (from == to)
        {
            var same = NextStep(flags, from, to);
            return same.IsAllowed ? FsmPath.Of([from]) : FsmPath.Refused(same.Refusal!.Value);
        }

        var states = new List<S> { from };
        var current = from;
        while (current != to)
        {
            var step = NextStep(flags, current, to);
            if (!step.IsAllowed)
            {
                return FsmPath.Refused(step.Refusal!.Value);
            }

            current = step.Next!.Value;
            states.Add(current);
            if (states.Count > StateCount)
            {
                throw new InvalidOperationException($"FSM table loops from {from.Name()} to {to.Name()}");
            }
        }

        return FsmPath.Of(states);
    }

    /// <summary>
    /// True when <paramref name="from"/>→<paramref name="to"/> is an arc a driver may be asked to take directly
    /// (it is the first hop of the kernel's path, and the two states differ).
    /// </summary>
    public static bool IsDirectArc(MigrationFlags flags, S from, S to) =>
        from != to && NextStep(flags, from, to) is { IsAllowed: true } step && step.Next == to;

    /// <summary>All direct arcs of a flag set, the ones <see cref="IsDirectArc"/> accepts.</summary>
    public static IReadOnlyList<(S From, S To)> DirectArcs(MigrationFlags flags) =>
        [.. from f in VfioNames.AllStates from t in VfioNames.AllStates where IsDirectArc(flags, f, t) select (f, t)];
}

/// <summary>Why the kernel refuses a state request (all are -EINVAL).</summary>
public enum FsmRefusal
{
    /// <summary>The current state is not supported by the flag set (the kernel WARNs). Always the case in ERROR.</summary>
    FromUnsupported,

    /// <summary>The requested state is not supported by the flag set, or is ERROR.</summary>
    TargetUnsupported,

    /// <summary>The table says ERROR: STOP_COPY→PRE_COPY and STOP_COPY→PRE_COPY_P2P.</summary>
    BlockedArc,
}

/// <summary>One answer of <see cref="VfioFsm.NextStep"/>: the next hop, or a refusal.</summary>
/// <param name="Next">The next state, when allowed.</param>
/// <param name="Refusal">The reason, when refused.</param>
public readonly record struct FsmStep(S? Next, FsmRefusal? Refusal)
{
    /// <summary>True when the kernel answers with a next hop.</summary>
    public bool IsAllowed => Next.HasValue;

    /// <summary>An allowed next hop.</summary>
    public static FsmStep To(S next) => new(next, null);

    /// <summary>A refusal.</summary>
    public static FsmStep Refused(FsmRefusal reason) => new(null, reason);
}

/// <summary>A whole path FROM→TO, or why it is refused.</summary>
/// <param name="States">The states from FROM to TO inclusive; empty when refused.</param>
/// <param name="Refusal">The reason, when refused.</param>
public sealed record FsmPath(IReadOnlyList<S> States, FsmRefusal? Refusal)
{
    /// <summary>True when the kernel can walk the path.</summary>
    public bool IsAllowed => Refusal is null;

    /// <summary>An allowed path.</summary>
    public static FsmPath Of(IReadOnlyList<S> states) => new(states, null);

    /// <summary>A refused request.</summary>
    public static FsmPath Refused(FsmRefusal reason) => new([], reason);
}
