using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using static Orchestrator.Domain.Tests.Fixtures;
using C = Orchestrator.Domain.Migrations.MigrationCommands;

namespace Orchestrator.Domain.Tests.Migrations;

public sealed class MigrationPropertyTests
{
    // Any interleaving of successes, failures, aborts, ticks, recoveries, stale and duplicate outcomes.
    [Property(MaxTest = 300, EndSize = 60)]
    public Property Invariants_hold_on_every_state(byte[] ops, bool multi)
    {
        var vfs = multi ? 2 : 1;
        var now = T0;
        var journal = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Mid).Run(Request(vfs), now, journal);
        var everCommitted = false;
        var lastEpoch = s.Epoch;
        foreach (var op in ops)
        {
            now = now.AddSeconds(op % 11 == 3 ? 120 : 1);
            IMigrationCommand? command = (op % 8) switch
            {
                0 or 1 or 2 => Success(s, vfs, remaining: op % 3 == 0 ? 2_000_000_000 : 1_000),
                3 => new C.ReportStepFailed(Mid, s.CurrentStep, s.Epoch, "injected"),
                4 => new C.Abort(Mid),
                5 => new C.Tick(Mid),
                6 => new C.Recover(Mid),
                _ => op % 2 == 0 ? new C.ForceSwitchover(Mid) : StaleOrDuplicate(s, vfs),
            };
            if (command is null)
            {
                continue;
            }

            var result = s.Decide(command, now);
            if (!result.Accepted)
            {
                Assert.Empty(result.Events);
                Assert.False(string.IsNullOrEmpty(result.Reason));
                continue;
            }

            journal.AddRange(result.Events);
            foreach (var e in result.Events)
            {
                var before = s;
                s = s.Apply(e);
                Assert.Equal(!before.IsTerminal && s.IsTerminal, MigrationProtocol.Ends(e)); // the history lists ends by it
            }

            Check(s, ref everCommitted, ref lastEpoch);
        }

        Assert.Equal(Structure(s), Structure(MigrationState.Replay(Mid, journal)));
        var end = Drive(s, ref now, vfs, journal);
        if (end.Phase == MigrationPhase.Failed)
        {
            // Only "injected" failures of a retried step: more of them in a row than MaxRetries.
            Assert.Equal(FailureCode.RetriesExhausted, end.FailureCode);
            Assert.Empty(end.WorkloadRunningOn());
        }
        else
        {
            Assert.Equal(everCommitted ? MigrationPhase.Completed : end.Phase, end.Phase);
            Assert.Single(end.WorkloadRunningOn());
        }

        Assert.Empty(end.Reservations);
        Assert.Equal(Structure(end), Structure(MigrationState.Replay(Mid, journal)));
        return true.ToProperty();
    }

    private static IMigrationCommand? StaleOrDuplicate(MigrationState s, int vfs)
    {
        if (s.Epoch > Epoch.Zero)
        {
            return Success(s, vfs) switch
            {
                C.RecordTargetPrepared => new C.RecordTargetPrepared(Mid, Epoch.Of(s.Epoch.Value - 1)),
                C.RecordTargetLoaded => new C.RecordTargetLoaded(Mid, Epoch.Of(s.Epoch.Value - 1)),
                _ => new C.RecordSourceResumed(Mid, Epoch.Of(s.Epoch.Value - 1)),
            };
        }

        return new C.RecordPlacement(Mid, s.Epoch, Target(vfs));
    }

    private static void Check(MigrationState s, ref bool everCommitted, ref Epoch lastEpoch)
    {
        Assert.True(s.WorkloadRunningOn().Count <= 1, $"workload may run on {s.WorkloadRunningOn().Count} hosts in {s.Phase}");
        Assert.True(s.Epoch >= lastEpoch, $"epoch went back from {lastEpoch} to {s.Epoch}");
        lastEpoch = s.Epoch;
        everCommitted |= MigrationProtocol.IsCommitted(s.Phase);
        if (everCommitted)
        {
            Assert.True(MigrationProtocol.IsCommitted(s.Phase) || s.Phase == MigrationPhase.Failed, $"{s.Phase} after commit");
        }

        var holds = s.Phase is not (MigrationPhase.New or MigrationPhase.Requested) && !s.IsTerminal
            && !(s.Phase == MigrationPhase.RollingBack && s.RollbackFrom == MigrationPhase.Requested);
        Assert.Equal(holds, s.Reservations.Count > 0);
        Assert.Equal(s.Epoch, s.NextAction().Epoch);
        for (var i = 1; i < s.Timeline.Count; i++)
        {
            Assert.True(MigrationProtocol.IsAllowed(s.Timeline[i - 1].Phase, s.Timeline[i].Phase));
        }
    }
}
