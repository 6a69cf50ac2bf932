using Orchestrator.Cluster.History;
using static Orchestrator.Cluster.History.MigrationStates;

namespace Orchestrator.Chaos.Tests.Checker;

/// <summary>Clean histories of DESIGN.md §4's protocol, as the nodes would record them; tests break them one record at a time.</summary>
internal static class Scenarios
{
    public const string Workload = "vm-1";
    public const string Migration = "m-1";
    public const string SourceVf = "host-a/0000:3b:00.0/vf3";
    public const string SourceVf2 = "host-a/0000:5e:00.0/vf1";
    public const string TargetVf = "host-b/0000:3b:00.0/vf0";
    public const string TargetVf2 = "host-b/0000:5e:00.0/vf2";
    public static readonly string SourcePf = HistoryBuilder.PfOf(SourceVf);
    public static readonly string TargetPf = HistoryBuilder.PfOf(TargetVf);

    /// <summary>One VF from host-a to host-b, Completed, with the client's accepted migrate.</summary>
    public static HistoryBuilder SingleVf(long epoch = 1, HistoryBuilder? builder = null)
    {
        var b = builder ?? new HistoryBuilder();
        const string M = Migration, W = Workload;
        var start = b.Now;
        b.Created(SourceVf, W);
        Prepare(b, M, W, epoch, [(SourceVf, TargetVf)]);
        b.State(SourceVf, "RUNNING", "PRE_COPY", W, M, epoch)
            .Migration(M, W, PreCopying, epoch, "host-a", "host-b")
            .Migration(M, W, SwitchoverStarted, epoch, "host-a", "host-b")
            .State(SourceVf, "PRE_COPY", "STOP_COPY", W, M, epoch)
            .Saved(SourceVf, M, epoch, 4096, "c0ffee01")
            .Migration(M, W, StateTransferred, epoch, "host-a", "host-b")
            .Loaded(TargetVf, M, epoch, 4096, "c0ffee01")
            .State(TargetVf, "RESUMING", "STOP", W, M, epoch)
            .Migration(M, W, TargetLoaded, epoch, "host-a", "host-b")
            .Migration(M, W, Committed, epoch, "host-a", "host-b")
            .State(TargetVf, "STOP", "RUNNING", W, M, epoch)
            .Migration(M, W, TargetRunning, epoch, "host-a", "host-b")
            .Reset(SourceVf, "STOP_COPY", detached: true, W, M, epoch)
            .Destroyed(SourceVf, W, M, epoch);
        Release(b, M, epoch, [(SourceVf, TargetVf)]);
        b.Migration(M, W, SourceReleased, epoch, "host-a", "host-b")
            .Migration(M, W, Completed, epoch, "host-a", "host-b")
            .ClientOp("migrate", ClientOutcome.Ok, W, M, start);
        return b;
    }

    /// <summary>Two VFs of one workload: all go to P2P before any stops; the target loads the pairs in the other order.</summary>
    public static HistoryBuilder MultiVf()
    {
        var b = new HistoryBuilder();
        const string M = Migration, W = Workload;
        const long E = 1;
        (string, string)[] pairs = [(SourceVf, TargetVf), (SourceVf2, TargetVf2)];
        var start = b.Now;
        b.Created(SourceVf, W).Created(SourceVf2, W);
        Prepare(b, M, W, E, pairs);
        b.State(SourceVf, "RUNNING", "PRE_COPY", W, M, E)
            .State(SourceVf2, "RUNNING", "PRE_COPY", W, M, E)
            .Migration(M, W, PreCopying, E, "host-a", "host-b")
            .Migration(M, W, SwitchoverStarted, E, "host-a", "host-b")
            .State(SourceVf, "PRE_COPY", "PRE_COPY_P2P", W, M, E)
            .State(SourceVf2, "PRE_COPY", "PRE_COPY_P2P", W, M, E)
            .State(SourceVf, "PRE_COPY_P2P", "STOP_COPY", W, M, E)
            .State(SourceVf2, "PRE_COPY_P2P", "STOP_COPY", W, M, E)
            .Saved(SourceVf, M, E, 4096, "aaaa0001", pair: SourceVf)
            .Saved(SourceVf2, M, E, 8192, "bbbb0002", pair: SourceVf2)
            .Migration(M, W, StateTransferred, E, "host-a", "host-b")
            .Loaded(TargetVf2, M, E, 8192, "bbbb0002", pair: SourceVf2)
            .Loaded(TargetVf, M, E, 4096, "aaaa0001", pair: SourceVf)
            .State(TargetVf, "RESUMING", "STOP", W, M, E)
            .State(TargetVf2, "RESUMING", "STOP", W, M, E)
            .Migration(M, W, TargetLoaded, E, "host-a", "host-b")
            .Migration(M, W, Committed, E, "host-a", "host-b")
            .State(TargetVf, "STOP", "RUNNING_P2P", W, M, E)
            .State(TargetVf2, "STOP", "RUNNING_P2P", W, M, E)
            .State(TargetVf, "RUNNING_P2P", "RUNNING", W, M, E)
            .State(TargetVf2, "RUNNING_P2P", "RUNNING", W, M, E)
            .Migration(M, W, TargetRunning, E, "host-a", "host-b")
            .Reset(SourceVf, "STOP_COPY", detached: true, W, M, E)
            .Reset(SourceVf2, "STOP_COPY", detached: true, W, M, E)
            .Destroyed(SourceVf, W, M, E)
            .Destroyed(SourceVf2, W, M, E);
        Release(b, M, E, pairs);
        b.Migration(M, W, SourceReleased, E, "host-a", "host-b")
            .Migration(M, W, Completed, E, "host-a", "host-b")
            .ClientOp("migrate", ClientOutcome.Ok, W, M, start);
        return b;
    }

    /// <summary>The user aborts during pre-copy: the target VF is destroyed, the source runs again, everything is released.</summary>
    public static HistoryBuilder RolledBack()
    {
        var b = new HistoryBuilder();
        const string M = Migration, W = Workload;
        const long E = 1;
        var start = b.Now;
        b.Created(SourceVf, W);
        Prepare(b, M, W, E, [(SourceVf, TargetVf)]);
        b.State(SourceVf, "RUNNING", "PRE_COPY", W, M, E)
            .Migration(M, W, PreCopying, E, "host-a", "host-b")
            .ClientOp("migrate", ClientOutcome.Ok, W, M, start);
        var abort = b.Now;
        b.ClientOp("abort", ClientOutcome.Ok, W, M, abort)
            .Migration(M, W, RollingBack, E, "host-a", "host-b", reason: "aborted by user")
            .State(SourceVf, "PRE_COPY", "RUNNING", W, M, E)
            .Destroyed(TargetVf, W, M, E);
        Release(b, M, E, [(SourceVf, TargetVf)]);
        b.Migration(M, W, MigrationStates.RolledBack, E, "host-a", "host-b", reason: "aborted by user");
        return b;
    }

    /// <summary>
    /// What a build that acts on Committed without persisting it leaves when its coordinator dies with the target
    /// running: the new incarnation replays no Committed, rolls back (target destroyed first, then the source resumed,
    /// so never two hosts at once) and ends RolledBack on the source, from the state the workload had before.
    /// </summary>
    public static HistoryBuilder CommitLostThenRolledBack()
    {
        var b = new HistoryBuilder();
        const string M = Migration, W = Workload;
        var start = b.Now;
        b.Created(SourceVf, W);
        Prepare(b, M, W, 1, [(SourceVf, TargetVf)]);
        b.State(SourceVf, "RUNNING", "PRE_COPY", W, M, 1)
            .Migration(M, W, PreCopying, 1, "host-a", "host-b")
            .Migration(M, W, SwitchoverStarted, 1, "host-a", "host-b")
            .State(SourceVf, "PRE_COPY", "STOP_COPY", W, M, 1)
            .Saved(SourceVf, M, 1, 4096, "c0ffee01")
            .Loaded(TargetVf, M, 1, 4096, "c0ffee01")
            .State(TargetVf, "RESUMING", "STOP", W, M, 1)
            .Migration(M, W, TargetLoaded, 1, "host-a", "host-b")
            .Migration(M, W, Committed, 1, "host-a", "host-b")
            .State(TargetVf, "STOP", "RUNNING", W, M, 1)
            .Migration(M, W, TargetRunning, 1, "host-a", "host-b")
            .Wait(TimeSpan.FromSeconds(5))
            .Migration(M, W, RollingBack, 2, "host-a", "host-b", reason: "coordinator recovered in TargetLoaded")
            .Destroyed(TargetVf, W, M, 2)
            .State(SourceVf, "STOP_COPY", "STOP", W, M, 2)
            .State(SourceVf, "STOP", "RUNNING", W, M, 2);
        Release(b, M, 2, [(SourceVf, TargetVf)]);
        b.Migration(M, W, MigrationStates.RolledBack, 2, "host-a", "host-b", reason: "coordinator recovered in TargetLoaded")
            .ClientOp("migrate", ClientOutcome.Ok, W, M, start);
        return b;
    }

    private static void Prepare(HistoryBuilder b, string m, string w, long epoch, (string Source, string Target)[] pairs)
    {
        b.Migration(m, w, Requested, epoch, "host-a", null);
        foreach (var (source, target) in pairs)
        {
            b.Reservation(HistoryBuilder.PfOf(target), m, ReservationOp.Reserve, epoch)
                .Slot(HistoryBuilder.PfOf(source), m, SlotOp.Acquire, SlotKind.Migration, epoch)
                .Slot(HistoryBuilder.PfOf(target), m, SlotOp.Acquire, SlotKind.Vf, epoch)
                .Slot(HistoryBuilder.PfOf(target), m, SlotOp.Acquire, SlotKind.Migration, epoch);
        }

        b.Migration(m, w, Placed, epoch, "host-a", "host-b");
        foreach (var (_, target) in pairs)
        {
            b.Created(target, w, m, epoch, state: "RESUMING");
        }

        b.Migration(m, w, TargetPrepared, epoch, "host-a", "host-b");
    }

    private static void Release(HistoryBuilder b, string m, long epoch, (string Source, string Target)[] pairs)
    {
        foreach (var (source, target) in pairs)
        {
            b.Slot(HistoryBuilder.PfOf(source), m, SlotOp.Release, SlotKind.Migration, epoch)
                .Slot(HistoryBuilder.PfOf(target), m, SlotOp.Release, SlotKind.Vf, epoch)
                .Slot(HistoryBuilder.PfOf(target), m, SlotOp.Release, SlotKind.Migration, epoch)
                .Reservation(HistoryBuilder.PfOf(target), m, ReservationOp.Release, epoch);
        }
    }
}
