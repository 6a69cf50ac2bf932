using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Pfs;
using static Orchestrator.Domain.Tests.Fixtures;

namespace Orchestrator.Domain.Tests.Pfs;

public sealed class PfLedgerTests
{
    private static readonly PfId Pf = PfId.Parse("host-a/0000:3b:00.0");
    private static readonly MigrationId M1 = MigrationId.Parse("m-ledger-1");
    private static readonly MigrationId M2 = MigrationId.Parse("m-ledger-2");
    private static readonly MigrationId M3 = MigrationId.Parse("m-ledger-3");
    private static readonly MigrationId[] Migrations = [M1, M2, M3];
    private static readonly PfLedgerSettings Bounds = new() { TombstoneTtl = TimeSpan.FromMinutes(10), MaxTombstones = 2 };

    // ---- Examples ----

    [Fact]
    public void A_command_of_an_older_epoch_is_fenced_with_the_current_one()
    {
        var ledger = Send(New(), Quiesce(M1, 2));
        var decision = ledger.Decide(Release(M1, 1, 0), T0);
        Assert.Equal(PfVerdict.Fence, decision.Verdict);
        Assert.Equal(Epoch.Of(2), decision.CurrentEpoch);
        Assert.Same(ledger, ledger.Apply(Release(M1, 1, 0), decision, T0));
    }

    [Fact]
    public void A_success_is_replayed_for_the_same_step_and_epoch_only_and_a_failure_is_not_kept()
    {
        var ledger = Send(New(), Quiesce(M1, 1));
        var reply = new Reply(M1, new PfStep(MigrationStep.QuiesceSources), Epoch.Of(1));
        ledger = Finish(ledger, Quiesce(M1, 1), reply);
        var again = ledger.Decide(Quiesce(M1, 1), T0);
        Assert.Equal(PfVerdict.Replay, again.Verdict);
        Assert.Same(reply, again.Reply);
        Assert.Equal(PfVerdict.Run, ledger.Decide(Quiesce(M1, 2), T0).Verdict);

        ledger = Finish(Send(ledger, Quiesce(M1, 2)), Quiesce(M1, 2), null);
        Assert.Equal(PfVerdict.Run, ledger.Decide(Quiesce(M1, 2), T0).Verdict);
    }

    [Fact]
    public void A_target_held_by_another_migration_is_refused_and_a_source_is_never_taken_from_its_holder()
    {
        var ledger = Send(New(), Prepare(M1, 1, 3));
        var refused = ledger.Decide(Prepare(M2, 1, 3), T0);
        Assert.Equal(PfVerdict.Refuse, refused.Verdict);
        Assert.Contains(M1.ToString(), refused.Reason, StringComparison.Ordinal);

        ledger = Send(ledger, Release(M2, 1, 3));
        Assert.Equal(M1, ledger.OwnerOf(3)!.Migration);
        Assert.False(ledger.MayDestroy(3, M2));
        Assert.False(ledger.MayDestroy(3, null));
        Assert.True(ledger.MayDestroy(3, M1));
        Assert.Equal([3], ledger.HeldByOthers(M2));
    }

    [Fact]
    public void Slots_queue_fifo_and_the_end_of_a_session_admits_the_head()
    {
        var ledger = Send(New(slots: 1), Prepare(M1, 1, 0));
        Assert.Equal(PfVerdict.Queue, ledger.Decide(PreCopy(M2, 1, 4), T0).Verdict);
        ledger = Send(ledger, PreCopy(M2, 1, 4));
        var third = ledger.Decide(PreCopy(M3, 1, 5), T0);
        Assert.Equal((PfVerdict.Queue, 2), (third.Verdict, third.Position));
        ledger = Send(ledger, PreCopy(M3, 1, 5));
        Assert.Equal(M2, ledger.OwnerOf(4)!.Migration); // held while it waits

        ledger = ledger.Finish(M1, new PfStep(MigrationStep.PrepareTarget), Epoch.Of(1), new Reply(M1, new PfStep(MigrationStep.PrepareTarget), Epoch.Of(1)), null, T0, out var freed, out var admitted, out _);
        Assert.False(freed);
        Assert.Empty(admitted);
        ledger = ledger.Finish(M1, new PfStep(MigrationStep.DestroyTarget), Epoch.Of(1), null, PfSide.Target, T0, out freed, out admitted, out _);
        Assert.True(freed);
        Assert.Equal([M2], admitted.Select(c => c.Migration));
        Assert.Equal(new PfStep(MigrationStep.StartPreCopy), ledger.RunningStep(M2));
        Assert.Equal([M3], ledger.Queue.Select(c => c.Migration));
    }

    [Fact]
    public void An_oversized_migration_runs_alone_rather_than_wait_forever()
    {
        var decision = New(slots: 1).Decide(Prepare(M1, 1, 0, 1, 2), T0);
        Assert.Equal((PfVerdict.Run, 3), (decision.Verdict, decision.TakesSlots));
    }

    [Fact]
    public void A_queued_command_of_an_older_epoch_never_runs()
    {
        var ledger = Send(Send(New(slots: 1), Prepare(M1, 1, 0)), PreCopy(M2, 1, 4));
        ledger = Send(ledger, Release(M2, 2, 4)); // epoch 2 of M2 seen (no slot needed: it runs)
        ledger = ledger.Finish(M2, new PfStep(MigrationStep.ReleaseSource), Epoch.Of(2), new Reply(M2, new PfStep(MigrationStep.ReleaseSource), Epoch.Of(2)), PfSide.Source, T0, out _, out _, out _);
        ledger = ledger.Finish(M1, new PfStep(MigrationStep.PrepareTarget), Epoch.Of(1), null, PfSide.Target, T0, out var freed, out var admitted, out var fenced);
        Assert.True(freed);
        Assert.Empty(admitted);
        Assert.Equal([M2], fenced.Select(c => c.Migration));
        Assert.Empty(ledger.Queue);
    }

    [Fact]
    public void An_ended_migration_stays_fenced_and_replayed_until_its_tombstone_expires_then_is_forgotten()
    {
        var ledger = Send(New(), Release(M1, 2, 0));
        var reply = new Reply(M1, new PfStep(MigrationStep.ReleaseSource), Epoch.Of(2));
        ledger = ledger.Finish(M1, new PfStep(MigrationStep.ReleaseSource), Epoch.Of(2), reply, PfSide.Source, T0, out _, out _, out _);
        Assert.Null(ledger.OwnerOf(0));
        Assert.Equal(Epoch.Of(2), Assert.Single(ledger.Tombstones).Value.Epoch);

        var later = T0 + TimeSpan.FromMinutes(9);
        Assert.Equal(PfVerdict.Fence, ledger.Decide(Release(M1, 1, 0), later).Verdict);
        Assert.Same(reply, ledger.Decide(Release(M1, 2, 0), later).Reply);

        var expired = T0 + TimeSpan.FromMinutes(10);
        Assert.Equal(PfVerdict.Run, ledger.Decide(Release(M1, 1, 0), expired).Verdict);
        var pruned = ledger.Pruned(expired);
        Assert.Equal((0, 0, 0), (pruned.KnownMigrations, pruned.CachedReplies, pruned.Tombstones.Count));
    }

    [Fact]
    public void A_migration_the_reconciler_cleaned_is_fenced_in_every_epoch()
    {
        var ledger = Send(New(), Quiesce(M1, 1)).Clean(M1, T0).DropSessions(M1, null, T0);
        var decision = ledger.Decide(Quiesce(M1, 5), T0);
        Assert.Equal((PfVerdict.Fence, Epoch.Of(5)), (decision.Verdict, decision.CurrentEpoch));
        Assert.True(ledger.Tombstones[M1].Cleaned);
    }

    [Fact]
    public void Tombstones_are_capped_oldest_first()
    {
        var ledger = New();
        var now = T0;
        foreach (var m in Migrations)
        {
            now += TimeSpan.FromSeconds(1);
            ledger = Send(ledger, Quiesce(m, 1), now);
            ledger = ledger.Finish(m, new PfStep(MigrationStep.QuiesceSources), Epoch.Of(1), null, PfSide.Source, now, out _, out _, out _);
        }

        Assert.Equal([M2, M3], ledger.Tombstones.Keys.Order());
        Assert.Null(ledger.EpochOf(M1));
        Assert.Equal(2, ledger.KnownMigrations);
    }

    [Fact]
    public void A_restart_forgets_running_steps_and_the_queue_but_keeps_epochs_replies_holders_and_slots()
    {
        var ledger = Send(Send(New(slots: 1), Prepare(M1, 2, 0)), PreCopy(M2, 1, 4));
        ledger = Finish(ledger, Prepare(M1, 2, 0), new Reply(M1, new PfStep(MigrationStep.PrepareTarget), Epoch.Of(2)));
        ledger = Send(ledger, Load(M1, 2)).Restarted();

        Assert.Null(ledger.RunningStep(M1));
        Assert.Empty(ledger.Queue);
        Assert.Equal(M1, ledger.OwnerOf(0)!.Migration);
        Assert.Equal(1, ledger.SlotHolders[M1]);
        Assert.Equal(PfVerdict.Fence, ledger.Decide(Load(M1, 1), T0).Verdict);
        Assert.Equal(PfVerdict.Run, ledger.Decide(Load(M1, 2), T0).Verdict); // the retry of the lost step runs again
        Assert.Equal(PfVerdict.Replay, ledger.Decide(Prepare(M1, 2, 0), T0).Verdict);
    }

    [Fact]
    public void A_reserved_index_is_not_offered_to_a_create()
    {
        var ledger = Send(New(), Prepare(M1, 1, 0)).Reserve(1);
        Assert.Equal(3, ledger.FreeIndex(8, [2], avoid: [4]));
        Assert.Null(ledger.FreeIndex(3, [2], null));
        Assert.False(ledger.Unreserve(1).IsReserved(1));
    }

    // ---- Properties: any interleaving of commands, step ends, restarts, clean-ups, from 3 migrations on one PF ----

    [Property(MaxTest = 300, EndSize = 80)]
    public Property No_command_of_an_older_epoch_runs_after_a_newer_one_was_seen(int[] ops) =>
        Explore(ops, (before, after, step) =>
        {
            foreach (var run in step.Started)
            {
                Assert.True(run.Epoch >= step.NewestSeen[run.Migration], $"{run.Step} of epoch {run.Epoch} ran after epoch {step.NewestSeen[run.Migration]} of {run.Migration}");
            }
        });

    [Property(MaxTest = 300, EndSize = 80)]
    public Property A_vf_is_destroyed_only_by_its_owner(int[] ops) =>
        Explore(ops, (before, after, step) =>
        {
            for (var index = 0; index < 6; index++)
            {
                var (was, now) = (before.OwnerOf(index)?.Migration, after.OwnerOf(index)?.Migration);
                Assert.True(was is null || now is null || was == now || was == step.Ended, $"VF {index} passed from {was} to {now} without {was} letting it go");
                foreach (var destroyer in Migrations.Select(m => (MigrationId?)m).Append(null))
                {
                    Assert.Equal(now is null || now == destroyer, after.MayDestroy(index, destroyer));
                }

                if (now is { } owner)
                {
                    Assert.All(Migrations.Where(m => m != owner), m => Assert.Contains(index, after.HeldByOthers(m)));
                }
            }
        });

    [Property(MaxTest = 300, EndSize = 80)]
    public Property Slot_limits_are_never_exceeded(int[] ops) =>
        Explore(ops, (_, after, _) =>
            Assert.True(after.SlotsInUse <= after.SlotLimit || after.SlotHolders.Count == 1, $"{after.SlotsInUse} slots of {after.SlotLimit} held by {after.SlotHolders.Count}"));

    [Property(MaxTest = 300, EndSize = 80)]
    public Property Replies_are_replayed_only_for_the_same_migration_step_and_epoch(int[] ops) =>
        Explore(ops, (_, _, step) =>
        {
            if (step.Replayed is { } replay)
            {
                Assert.Equal(new Reply(replay.Command.Migration, replay.Command.Step, replay.Command.Epoch), replay.Reply);
            }
        });

    /// <summary>Drives a ledger through <paramref name="ops"/>; <paramref name="check"/> sees every transition.</summary>
    private static Property Explore(int[] ops, Action<PfLedger<Reply>, PfLedger<Reply>, Step> check)
    {
        // Room for every migration's tombstone, and 80 ops of a second stay inside the TTL: nothing is forgotten here
        // (forgetting is what the bounds are for, and the examples above cover it).
        var ledger = new PfLedger<Reply>(Pf, 2, Bounds with { MaxTombstones = Migrations.Length });
        var now = T0;
        var running = new Dictionary<MigrationId, PfCommand>();
        var newest = Migrations.ToDictionary(m => m, _ => Epoch.Zero);
        for (var i = 0; i < ops.Length; i++)
        {
            // FsCheck's ints stay near 0 at small sizes: scatter each (with its place) over every command, migration,
            // epoch and index the decoding below can pick.
            var op = (int)((((uint)ops[i] * 2654435761u) ^ ((uint)i * 40503u)) >> 1);
            now += TimeSpan.FromSeconds(1);
            var before = ledger;
            var step = new Step(newest);
            switch (op % 8)
            {
                case < 5:
                    {
                        var command = CommandOf(op / 8);
                        var decision = ledger.Decide(command, now);
                        ledger = ledger.Apply(command, decision, now);
                        if (decision.Verdict == PfVerdict.Run)
                        {
                            Run(step, [command]);
                        }
                        else if (decision.Verdict == PfVerdict.Replay)
                        {
                            step.Replayed = (command, decision.Reply!);
                        }

                        if (decision.Verdict != PfVerdict.Fence && command.Epoch > newest[command.Migration])
                        {
                            step.Saw(command);
                        }

                        break;
                    }

                case 5 when running.Count > 0:
                    {
                        var command = running.Values.ElementAt(op / 8 % running.Count);
                        var success = op / 8 / running.Count % 3 != 0;
                        running.Remove(command.Migration);
                        step.Ended = success && EndsOf(command.Step) is not null ? command.Migration : null;
                        ledger = ledger.Finish(
                            command.Migration, command.Step, command.Epoch, success ? new Reply(command.Migration, command.Step, command.Epoch) : null,
                            success ? EndsOf(command.Step) : null, now, out _, out var admitted, out _);
                        Run(step, admitted);

                        break;
                    }

                case 6:
                    ledger = ledger.Restarted();
                    running.Clear();
                    break;
                case 7:
                    {
                        // The host reconciler frees an ended migration that runs nothing here.
                        var migration = Migrations[op / 8 % Migrations.Length];
                        if (!running.ContainsKey(migration))
                        {
                            step.Ended = migration;
                            ledger = ledger.Clean(migration, now).Dequeue(migration, out _).DropSessions(migration, null, now)
                                .ReleaseSlotIfIdle(migration, now, out _, out var admitted, out _);
                            Run(step, admitted);
                        }

                        break;
                    }
            }

            check(before, ledger, step);
        }

        return true.ToProperty();

        void Run(Step step, IEnumerable<PfCommand> started)
        {
            foreach (var command in started)
            {
                step.Started.Add(command);
                running[command.Migration] = command;
            }
        }
    }

    private static PfCommand CommandOf(int n)
    {
        var migration = Migrations[n % 3];
        var epoch = Epoch.Of(n / 3 % 3);
        var index = n / 9 % 6;
        return (n / 54 % 7) switch
        {
            0 => Prepare(migration, epoch.Value, index, (index + 1) % 6),
            1 => PreCopy(migration, epoch.Value, index),
            2 => Quiesce(migration, epoch.Value),
            3 => Release(migration, epoch.Value, index),
            4 => Load(migration, epoch.Value),
            5 => new(migration, epoch, new PfStep(MigrationStep.DestroyTarget), PfSide.Target, []),
            _ => new(migration, epoch, new PfStep(MigrationStep.ResumeSource), PfSide.Source, [index]),
        };
    }

    private static PfSide? EndsOf(PfStep step) => step.Step switch
    {
        MigrationStep.DestroyTarget => PfSide.Target,
        MigrationStep.ReleaseSource or MigrationStep.ResumeSource => PfSide.Source,
        _ => null,
    };

    private static PfLedger<Reply> New(int slots = 4) => new(Pf, slots, Bounds);

    private static PfLedger<Reply> Send(PfLedger<Reply> ledger, PfCommand command, DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        return ledger.Apply(command, ledger.Decide(command, now), now);
    }

    private static PfLedger<Reply> Finish(PfLedger<Reply> ledger, PfCommand command, Reply? reply) =>
        ledger.Finish(command.Migration, command.Step, command.Epoch, reply, null, T0, out _, out _, out _);

    private static PfCommand Prepare(MigrationId m, long epoch, params int[] indices) =>
        new(m, Epoch.Of(epoch), new PfStep(MigrationStep.PrepareTarget), PfSide.Target, indices, PfClaimMode.RefuseIfHeld, indices.Length);

    private static PfCommand PreCopy(MigrationId m, long epoch, int index) => new(m, Epoch.Of(epoch), new PfStep(MigrationStep.StartPreCopy), PfSide.Source, [index], Slots: 1);

    private static PfCommand Quiesce(MigrationId m, long epoch) => new(m, Epoch.Of(epoch), new PfStep(MigrationStep.QuiesceSources), PfSide.Source, []);

    private static PfCommand Release(MigrationId m, long epoch, int index) => new(m, Epoch.Of(epoch), new PfStep(MigrationStep.ReleaseSource), PfSide.Source, [index]);

    private static PfCommand Load(MigrationId m, long epoch) => new(m, Epoch.Of(epoch), new PfStep(MigrationStep.LoadTarget), PfSide.Target, []);

    /// <summary>A reply that says which step of which epoch gave it.</summary>
    private sealed record Reply(MigrationId Migration, PfStep Step, Epoch Epoch);

    /// <summary>What one transition did: the steps it started (with the newest epochs seen before it), a replay.</summary>
    private sealed class Step(Dictionary<MigrationId, Epoch> newest)
    {
        public IReadOnlyDictionary<MigrationId, Epoch> NewestSeen { get; } = new Dictionary<MigrationId, Epoch>(newest);

        public List<PfCommand> Started { get; } = [];

        public (PfCommand Command, Reply Reply)? Replayed { get; set; }

        /// <summary>The migration whose session on the PF ended (and gave its VFs back) in this transition.</summary>
        public MigrationId? Ended { get; set; }

        public void Saw(PfCommand command) => newest[command.Migration] = command.Epoch;
    }
}
