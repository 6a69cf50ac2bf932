using System.Text.Json;
using Orchestrator.Chaos.Checker;
using Orchestrator.Cluster.History;
using static Orchestrator.Chaos.Tests.Checker.Scenarios;

namespace Orchestrator.Chaos.Tests.Checker;

public sealed class HistoryCheckerTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Clean_single_vf_migration_passes_every_invariant()
    {
        var report = SingleVf().Check();

        Assert.True(report.IsSuccess, report.ToText());
        Assert.Equal([1, 2, 3, 4, 5, 6, 8, 9], report.Invariants.Select(v => v.Number));
        Assert.Equal(1, report.Migrations["Completed"]);
        Assert.Equal(1, report.Operations["migrate"]["ok"]);
    }

    [Fact]
    public void Clean_multi_vf_migration_passes_with_pairs_loaded_out_of_order()
    {
        var report = MultiVf().Check();

        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public void Clean_rollback_passes()
    {
        var report = RolledBack().Check();

        Assert.True(report.IsSuccess, report.ToText());
        Assert.Equal(1, report.Migrations["RolledBack"]);
        Assert.Equal(1, report.Operations["abort"]["ok"]);
    }

    [Fact]
    public void Counts_nodes_operations_faults_and_migrations()
    {
        var b = new HistoryBuilder();
        b.Fault("kill", "host-c", b.Now, b.Now + Second, id: "f1");
        SingleVf(builder: b.Wait(2 * Second));
        b.Fault("partition", "host-a|host-b", b.Now, null, id: "f2")
            .Fault("partition", "host-a|host-b", b.Now - Second, b.Now, id: "f2")
            .ClientOp("migrate", ClientOutcome.Indeterminate, "vm-9", null, b.Now);

        var report = b.Check();

        Assert.True(report.IsSuccess, report.ToText());
        Assert.Equal(new Dictionary<string, int> { ["kill"] = 1, ["partition"] = 1 }, report.Faults);
        Assert.Equal(new Dictionary<string, int> { ["indeterminate"] = 1, ["ok"] = 1 }, report.Operations["migrate"]);
        Assert.Equal(3, report.RecordsPerNode[HistoryBuilder.Harness]);
        Assert.Equal(2, report.RecordsPerNode[HistoryBuilder.Client]);
        Assert.Equal(b.Records.Count, report.RecordCount);
        Assert.Equal(b.Records[^2].Time, report.LastFaultHealed);
    }

    // ---- invariant 1 --------------------------------------------------------------------------------------

    [Fact]
    public void Source_resumed_after_commit_is_two_hosts_at_once()
    {
        var b = SingleVf().InsertAfter(
            r => r is VfStateChanged { Vf: TargetVf, To: "RUNNING" },
            "host-a",
            new VfStateChanged { Host = "host-a", Pf = SourcePf, Vf = SourceVf, From = "STOP_COPY", To = "RUNNING", Workload = Workload, Migration = Migration, Epoch = 1 });

        var report = b.Check();
        var first = AssertOnlyFails(report, 1);

        Assert.Equal(Workload, first.Workload);
        Assert.Equal(Migration, first.Migration);
        // Two findings of the same record: the source runs again after the target did, and both run at once.
        Assert.Equal(2, report.Invariants[0].ViolationCount);
        Assert.Contains(report.Invariants[0].Violations, d => d.Contains("ran on two hosts at once (host-a, host-b)", StringComparison.Ordinal));
        Assert.Contains(report.Invariants[0].Violations, d => d.Contains("ran again on host-a", StringComparison.Ordinal));
    }

    [Fact]
    public void Target_running_while_the_source_still_pre_copies_is_two_hosts_at_once()
    {
        // PRE_COPY still runs the workload, so a target resumed during pre-copy runs it a second time.
        var b = SingleVf().InsertAfter(
            r => r is VfStateChanged { Vf: SourceVf, To: "PRE_COPY" },
            "host-b",
            new VfStateChanged { Host = "host-b", Pf = TargetPf, Vf = TargetVf, From = "RESUMING", To = "RUNNING", Workload = Workload, Migration = Migration, Epoch = 1 });

        var report = b.Check();
        var first = AssertOnlyFails(report, 1);

        Assert.Equal(Workload, first.Workload);
        Assert.Contains("ran on two hosts at once (host-a, host-b)", first.Description, StringComparison.Ordinal);
        Assert.Contains(report.Invariants[0].Excerpt, l => l.StartsWith('>') && l.Contains(TargetVf, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)] // the overlap is exactly one 1 ms step: not strictly shorter than the tolerance
    [InlineData(2, true)]
    public void Short_overlap_is_forgiven_only_below_the_clock_tolerance(int toleranceMs, bool passes)
    {
        // A reset that forgets to detach leaves the source VF RUNNING for the workload until it is destroyed 1 ms later.
        var b = SingleVf().Map<VfReset>(r => r.Vf == SourceVf, r => r with { Detached = false });

        var report = b.Check(new CheckOptions { ClockTolerance = TimeSpan.FromMilliseconds(toleranceMs) });

        if (passes)
        {
            Assert.True(report.IsSuccess, report.ToText());
        }
        else
        {
            Assert.Equal(Workload, AssertOnlyFails(report, 1).Workload);
        }
    }

    [Fact]
    public void Rollback_that_leaves_the_source_stopped_runs_on_no_host()
    {
        var b = RolledBack().Map<VfStateChanged>(s => s is { Vf: SourceVf, To: "RUNNING" }, s => s with { To = "ERROR" });

        var first = AssertOnlyFails(b.Check(), 1);

        Assert.Equal(Migration, first.Migration);
        Assert.Contains("runs on no host; expected exactly the source host-a", first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_running_again_after_the_target_ran_is_caught_though_never_two_hosts_at_once()
    {
        var report = CommitLostThenRolledBack().Check();

        // The rollback also destroyed the target after its migration committed: the workload's home, which no
        // migration owned any more (invariant 8).
        Assert.Equal([1, 8], report.Invariants.Where(v => !v.Passed).Select(v => v.Number));
        Assert.Contains("created by migration m-1, which had committed", report.Invariants.Single(v => v.Number == 8).FirstViolation!.Description, StringComparison.Ordinal);
        var first = report.Invariants[0].FirstViolation!;
        Assert.Equal(1, report.Invariants[0].ViolationCount);
        Assert.Equal(Migration, first.Migration);
        Assert.Equal(SourceVf, first.Vf);
        Assert.Contains("ran again on host-a", first.Description, StringComparison.Ordinal);
        Assert.Contains("what it did on host-b is lost", first.Description, StringComparison.Ordinal);
        Assert.Contains(report.Invariants[0].Excerpt, l => l.StartsWith('>') && l.Contains("\"to\":\"RUNNING\"", StringComparison.Ordinal) && l.Contains(SourceVf, StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_migration_that_moves_the_workload_back_is_not_a_return()
    {
        const string Back = "m-2", TargetOnA = "host-a/0000:3b:00.0/vf7";
        var b = SingleVf();
        b.Migration(Back, Workload, MigrationStates.Requested, 1, "host-b", null)
            .Migration(Back, Workload, MigrationStates.Placed, 1, "host-b", "host-a")
            .Created(TargetOnA, Workload, Back, 1, state: "RESUMING")
            .State(TargetVf, "RUNNING", "STOP_COPY", Workload, Back, 1)
            .Saved(TargetVf, Back, 1, 4096, "0000beef")
            .Loaded(TargetOnA, Back, 1, 4096, "0000beef")
            .State(TargetOnA, "RESUMING", "STOP", Workload, Back, 1)
            .Migration(Back, Workload, MigrationStates.Committed, 1, "host-b", "host-a")
            .State(TargetOnA, "STOP", "RUNNING", Workload, Back, 1)
            .Destroyed(TargetVf, Workload, Back, 1)
            .Migration(Back, Workload, MigrationStates.Completed, 1, "host-b", "host-a");

        var report = b.Check();

        Assert.True(report.IsSuccess, report.ToText());
        Assert.Equal(2, report.Migrations["Completed"]);
    }

    // ---- invariant 2 --------------------------------------------------------------------------------------

    [Fact]
    public void Migration_stuck_in_pre_copy_after_faults_healed_is_reported()
    {
        var b = new HistoryBuilder();
        var start = b.Now;
        b.Created(SourceVf, Workload)
            .Migration(Migration, Workload, MigrationStates.Requested, 1, "host-a", null)
            .Reservation(TargetPf, Migration, ReservationOp.Reserve, 1)
            .Migration(Migration, Workload, MigrationStates.Placed, 1, "host-a", "host-b")
            .Created(TargetVf, Workload, Migration, 1, state: "RESUMING")
            .Migration(Migration, Workload, MigrationStates.TargetPrepared, 1, "host-a", "host-b")
            .State(SourceVf, "RUNNING", "PRE_COPY", Workload, Migration, 1)
            .Migration(Migration, Workload, MigrationStates.PreCopying, 1, "host-a", "host-b")
            .ClientOp("migrate", ClientOutcome.Ok, Workload, Migration, start);
        var kill = b.Now;
        b.Wait(5 * Second).Fault("kill", "host-c", kill, b.Now).Wait(61 * Second).ClientOp("cordon", ClientOutcome.Ok, null, null, b.Now);

        var first = AssertOnlyFails(b.Check(), 2);

        Assert.Equal(Migration, first.Migration);
        Assert.Equal(Workload, first.Workload);
        Assert.Contains("still in PreCopying", first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Migration_that_ends_later_than_the_bound_fails_and_a_larger_bound_passes()
    {
        // Re-time a clean history: everything after SourceReleased happens 61 s later.
        var slow = new HistoryBuilder();
        foreach (var r in SingleVf().Records)
        {
            slow.Add(r.Node, r);
            if (r is MigrationStateChanged { State: MigrationStates.SourceReleased })
            {
                slow.Wait(61 * Second);
            }
        }

        Assert.Contains("more than the bound", AssertOnlyFails(slow.Check(), 2).Description, StringComparison.Ordinal);
        Assert.True(slow.Check(new CheckOptions { SettleBound = TimeSpan.FromMinutes(2) }).IsSuccess);
    }

    [Fact]
    public void Indeterminate_migrate_whose_migration_never_appears_is_allowed_but_an_accepted_one_is_not()
    {
        var b = SingleVf().ClientOp("migrate", ClientOutcome.Indeterminate, "vm-2", "m-2", HistoryBuilder.Origin);
        Assert.True(b.Check().IsSuccess, b.Check().ToText());

        b.ClientOp("migrate", ClientOutcome.Ok, "vm-3", "m-3", HistoryBuilder.Origin);
        var first = AssertOnlyFails(b.Check(), 2);
        Assert.Equal("m-3", first.Migration);
        Assert.Contains("never appears", first.Description, StringComparison.Ordinal);
    }

    // ---- invariant 3 --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("target-vf")]
    [InlineData("slot")]
    [InlineData("reservation")]
    public void Rollback_that_leaves_something_behind_is_a_leak(string leaked)
    {
        var b = RolledBack();
        Func<HistoryRecord, bool> drop = leaked switch
        {
            "target-vf" => r => r is VfDestroyed { Vf: TargetVf },
            "slot" => r => r is SlotChanged { Op: SlotOp.Release, Kind: SlotKind.Migration } s && s.Pf == TargetPf,
            _ => r => r is ReservationChanged { Op: ReservationOp.Release },
        };
        b.Without(drop);

        var first = AssertOnlyFails(b.Check(), 3);

        Assert.Equal(Migration, first.Migration);
        Assert.Equal(Workload, first.Workload);
        Assert.Contains(leaked switch { "target-vf" => TargetVf, "slot" => "migration slot held on PF " + TargetPf, _ => "reservation on " + TargetPf }, first.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // found by its workload on the source host even when its records name no migration
    public void Source_vf_still_existing_after_completed_is_a_leak(bool recordsNameNoMigration)
    {
        var b = SingleVf().Without(r => r is VfDestroyed { Vf: SourceVf });
        if (recordsNameNoMigration)
        {
            b.Map<VfStateChanged>(s => s.Vf == SourceVf, s => s with { Migration = null, Epoch = null })
                .Map<VfReset>(r => r.Vf == SourceVf, r => r with { Migration = null, Epoch = null });
        }

        var first = AssertOnlyFails(b.Check(), 3);

        Assert.Equal(SourceVf, first.Vf);
        Assert.Contains("after migration m-1 Completed", first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slot_held_by_a_pf_actor_that_restarted_is_free_and_a_restart_of_another_pf_frees_nothing()
    {
        var restarted = RolledBack().Without(r => r is SlotChanged { Op: SlotOp.Release, Kind: SlotKind.Migration } s && s.Pf == TargetPf);
        restarted.Add(HistoryBuilder.HostOf(TargetPf), new PfStarted { Host = HistoryBuilder.HostOf(TargetPf), Pf = TargetPf });
        Assert.True(restarted.Check().IsSuccess, restarted.Check().ToText());

        var heldAfter = RolledBack().Without(r => r is SlotChanged { Op: SlotOp.Release, Kind: SlotKind.Migration } s && s.Pf == TargetPf);
        heldAfter.Add(HistoryBuilder.HostOf(SourcePf), new PfStarted { Host = HistoryBuilder.HostOf(SourcePf), Pf = SourcePf });
        Assert.Contains("migration slot held on PF " + TargetPf, AssertOnlyFails(heldAfter.Check(), 3).Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_leak_that_is_cleaned_up_before_the_end_of_the_history_is_not_a_leak()
    {
        var b = RolledBack().Without(r => r is VfDestroyed { Vf: TargetVf }).Destroyed(TargetVf, Workload);

        Assert.True(b.Check().IsSuccess, b.Check().ToText());
    }

    [Fact]
    public void A_reconciler_clean_up_passes_when_its_device_records_free_the_leak_and_never_by_itself()
    {
        LeftoverCleanedRecord Note() => new()
        {
            Host = HistoryBuilder.HostOf(TargetVf),
            Pf = TargetPf,
            Vf = TargetVf,
            Migration = Migration,
            Epoch = 1,
            Action = "destroy-target",
            Reason = "target VF of RolledBack migration left in RESUMING",
        };

        // The note alone does not free anything: the checker still judges the device records.
        var noteOnly = RolledBack().Without(r => r is VfDestroyed { Vf: TargetVf }).Add(HistoryBuilder.HostOf(TargetVf), Note());
        Assert.Contains(TargetVf, AssertOnlyFails(noteOnly.Check(), 3).Description, StringComparison.Ordinal);

        // With the reconciler's destroy recorded, as a PF writes it, the history passes and the line round-trips.
        var cleaned = RolledBack().Without(r => r is VfDestroyed { Vf: TargetVf })
            .Add(HistoryBuilder.HostOf(TargetVf), Note())
            .Destroyed(TargetVf, Workload, Migration, 1);
        Assert.True(cleaned.Check().IsSuccess, cleaned.Check().ToText());
        var line = HistoryJson.Serialize(cleaned.Records.OfType<LeftoverCleanedRecord>().Single());
        Assert.StartsWith("{\"type\":\"leftover-cleaned\"", line, StringComparison.Ordinal);
        Assert.Equal(cleaned.Records.OfType<LeftoverCleanedRecord>().Single(), HistoryJson.Deserialize(line));
    }

    // ---- invariant 4 --------------------------------------------------------------------------------------

    [Fact]
    public void Device_change_with_an_older_epoch_after_a_newer_one_is_a_violation()
    {
        // The coordinator restarted (epoch 2) during pre-copy and its first command reached the source PF (a slot at
        // epoch 2), yet the source still obeys epoch 1's switchover.
        var b = SingleVf().InsertAfter(
            r => r is MigrationStateChanged { State: MigrationStates.PreCopying },
            "host-a",
            new SlotChanged { Host = "host-a", Pf = SourcePf, Migration = Migration, Epoch = 2, Op = SlotOp.Acquire, Kind = SlotKind.Migration });

        var report = b.Check();
        var first = AssertOnlyFails(report, 4);

        Assert.Equal(Migration, first.Migration);
        Assert.Equal(SourceVf, first.Vf);
        Assert.Contains("epoch 1 after", first.Description, StringComparison.Ordinal);
        Assert.Contains(report.Invariants[3].Excerpt, l => l.StartsWith('>') && l.Contains("\"to\":\"STOP_COPY\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_newer_epoch_only_the_coordinator_knows_does_not_make_a_running_step_stale()
    {
        // The PF is the fence: until a command of epoch 2 reaches it, what epoch 1 started there is legitimate.
        var b = SingleVf().InsertAfter(
            r => r is MigrationStateChanged { State: MigrationStates.PreCopying },
            HistoryBuilder.Coordinator,
            new MigrationStateChanged { Migration = Migration, Workload = Workload, State = MigrationStates.PreCopying, Epoch = 2, SourceHost = "host-a", TargetHost = "host-b" });

        var report = b.Check();
        Assert.True(report.Invariants[3].Passed, report.ToText());
    }

    [Fact]
    public void Fenced_stale_command_is_not_a_violation()
    {
        var b = SingleVf(epoch: 2).Fenced(SourceVf, Migration, 1, 2, "SetState(STOP_COPY)");

        Assert.True(b.Check().IsSuccess, b.Check().ToText());
    }

    // ---- invariant 5 --------------------------------------------------------------------------------------

    [Fact]
    public void Checksum_mismatch_on_a_completed_migration_is_a_violation()
    {
        var b = SingleVf().Map<StateLoaded>(_ => true, l => l with { Checksum = "deadbeef" });

        var first = AssertOnlyFails(b.Check(), 5);

        Assert.Equal(Migration, first.Migration);
        Assert.Equal(Workload, first.Workload);
        Assert.Contains("loaded checksum deadbeef", first.Description, StringComparison.Ordinal);
        Assert.Contains("saved checksum c0ffee01", first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_vf_pairs_are_matched_by_pair_not_by_order()
    {
        var b = MultiVf().Map<StateLoaded>(l => l.Vf == TargetVf, l => l with { Pair = SourceVf2 });

        var first = AssertOnlyFails(b.Check(), 5);

        Assert.Equal(TargetVf, first.Vf);
        Assert.Contains("pair " + SourceVf2, first.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Completed_migration_without_any_load_is_a_violation()
    {
        var b = SingleVf().Without(r => r is StateLoaded);

        Assert.Contains("no state-loaded", AssertOnlyFails(b.Check(), 5).Description, StringComparison.Ordinal);
    }

    // ---- report -------------------------------------------------------------------------------------------

    [Fact]
    public void Report_renders_as_json_and_text_with_the_first_violation_and_its_excerpt()
    {
        var b = SingleVf().Map<StateLoaded>(_ => true, l => l with { Checksum = "deadbeef" });
        var report = b.Check();

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.False(root.GetProperty("isSuccess").GetBoolean());
        var verdict = root.GetProperty("invariants")[4];
        Assert.Equal("state-integrity", verdict.GetProperty("name").GetString());
        Assert.Equal(1, verdict.GetProperty("violationCount").GetInt32());
        Assert.Equal("m-1", verdict.GetProperty("firstViolation").GetProperty("migration").GetString());

        var text = report.ToText();
        Assert.StartsWith("history check: FAIL (1 of 8 invariants failed)", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL] 5 state-integrity", text, StringComparison.Ordinal);
        Assert.Contains("[PASS] 1 single-host", text, StringComparison.Ordinal);
        // The excerpt marks the load and shows the save it was compared with.
        var excerpt = report.Invariants[4].Excerpt;
        Assert.Single(excerpt, l => l.StartsWith('>'));
        Assert.Contains(excerpt, l => l.StartsWith('>') && l.Contains("\"type\":\"state-loaded\"", StringComparison.Ordinal));
        Assert.Contains(excerpt, l => l.Contains("\"type\":\"state-saved\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_migration_of_a_workload_requested_while_the_first_runs_is_caught()
    {
        // m-2 is requested (on host-b's side of the workload) while m-1 pre-copies: two open migrations of one workload.
        var violation = AssertOnlyFails(SecondMigrationRequestedAfter(MigrationStates.PreCopying).Check(), 6);
        Assert.Contains("m-2", violation.Description, StringComparison.Ordinal);
        Assert.Contains(Migration, violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_next_migration_requested_after_the_first_released_the_workload_passes()
    {
        // Released is the last step before Completed: the next request may land between the two records.
        var report = SecondMigrationRequestedAfter(MigrationStates.SourceReleased).Check();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public void The_first_migration_recovering_between_the_next_request_and_its_end_passes()
    {
        // A crash after the authority released the workload: the new incarnation reports SourceReleased again (a new
        // epoch) before it records Completed. Chaos seed of stop 14 hit this with RollingBack.
        var report = SecondMigrationRequestedAfter(MigrationStates.SourceReleased)
            .InsertAfter(r => r is MigrationStateChanged { Migration: "m-2", State: MigrationStates.Requested }, "node-3", ReportedAgain(MigrationStates.SourceReleased))
            .Check();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public void The_first_migrations_end_reported_again_after_the_next_request_passes()
    {
        // An ended coordinator that restarts (a remembered entity moved with its shard, or a GET of a passivated one)
        // reports its end state again: chaos seed 3 of this stop had m-1 RollingBack, m-2 requested, m-1 RolledBack twice.
        var report = SecondMigrationRequestedAfter(MigrationStates.SourceReleased)
            .InsertAfter(r => r is MigrationStateChanged { Migration: Migration, State: MigrationStates.Completed }, "node-3", ReportedAgain(MigrationStates.Completed))
            .Check();
        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public void The_first_migration_reporting_another_state_after_the_next_request_is_caught()
    {
        // Only the released state may come again: m-1 back in TargetRunning after m-2's request means it had not released.
        var violation = AssertOnlyFails(
            SecondMigrationRequestedAfter(MigrationStates.SourceReleased)
                .InsertAfter(r => r is MigrationStateChanged { Migration: "m-2", State: MigrationStates.Requested }, "node-3", ReportedAgain(MigrationStates.TargetRunning))
                .Check(),
            6);
        Assert.Contains("m-2", violation.Description, StringComparison.Ordinal);
    }

    private static MigrationStateChanged ReportedAgain(string state) => new()
    {
        Migration = Migration,
        Workload = Workload,
        State = state,
        Epoch = 2,
        SourceHost = "host-a",
        TargetHost = "host-b",
    };

    /// <summary>The clean single-VF history, with m-2 of the same workload requested right after m-1 entered <paramref name="state"/>.</summary>
    private static HistoryBuilder SecondMigrationRequestedAfter(string state) => SingleVf()
        .InsertAfter(r => r is MigrationStateChanged m && m.State == state, "node-2", new MigrationStateChanged
        {
            Migration = "m-2",
            Workload = Workload,
            State = MigrationStates.Requested,
            Epoch = 0,
            SourceHost = "host-b",
        })
        .Migration("m-2", Workload, MigrationStates.RollingBack, 0, "host-b", null, "no target")
        .Migration("m-2", Workload, MigrationStates.RolledBack, 0, "host-b", null, "no target");

    // ---- invariant 8 ---------------------------------------------------------------------------------------

    private const string SpareVf = "host-b/0000:3b:00.0/vf5";

    [Fact]
    public void An_unassigned_vf_destroyed_without_any_delete_is_caught()
    {
        var b = SingleVf().Created(SpareVf, null).Destroyed(SpareVf, null);

        var violation = AssertOnlyFails(b.Check(), 8);

        Assert.Equal(SpareVf, violation.Vf);
        Assert.Contains("neither by its owner's migration nor by an accepted delete-vf", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vf_serving_a_workload_destroyed_by_a_delete_without_force_is_caught()
    {
        var b = SingleVf().Created(SpareVf, "vm-2");
        var sent = b.Now;
        b.Destroyed(SpareVf, "vm-2").DeleteVf(SpareVf, force: false, ClientOutcome.Ok, sent);

        var violation = AssertOnlyFails(b.Check(), 8);

        Assert.Contains("did not say force=true", violation.Description, StringComparison.Ordinal);
        Assert.Contains("vm-2", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_workloads_home_destroyed_under_another_migration_is_caught()
    {
        // m-2 (of another workload) names the destroy of vm-1's target VF, after m-1 committed: nobody owned that destroy.
        var b = SingleVf().Destroyed(TargetVf, Workload, "m-2", 1);

        var report = b.Check();

        var verdict = report.Invariants.Single(v => v.Number == 8);
        Assert.False(verdict.Passed, report.ToText());
        Assert.Contains("created by migration m-1, which had committed", verdict.FirstViolation!.Description, StringComparison.Ordinal);
        Assert.False(report.Invariants.Single(v => v.Number == 9).Passed); // and vm-1 now runs nowhere
    }

    [Fact]
    public void A_forced_delete_while_the_migration_holds_the_source_is_caught()
    {
        // During pre-copy the client force-deletes m-1's source and the PF destroys it: the authority must have said 409.
        var b = new HistoryBuilder();
        b.Created(SpareVf, null);
        SingleVf(builder: b);
        var sent = b.Records.First(r => r is MigrationStateChanged { State: MigrationStates.PreCopying }).Time;
        b.InsertAfter(r => r is MigrationStateChanged { State: MigrationStates.PreCopying }, "host-a",
                new VfDestroyed { Host = "host-a", Pf = SourcePf, Vf = SourceVf, Workload = Workload })
            .Add(HistoryBuilder.Client, new ClientOperation { Op = "delete-vf", Vf = SourceVf, Force = true, Outcome = ClientOutcome.Ok, Start = sent, End = sent + TimeSpan.FromMilliseconds(5) });

        var report = b.Check();

        var verdict = report.Invariants.Single(v => v.Number == 8);
        Assert.False(verdict.Passed, report.ToText());
        Assert.Contains($"while migration {Migration} held it", verdict.FirstViolation!.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Deletes_that_were_asked_for_and_clean_ups_of_unclaimed_vfs_pass()
    {
        const string Labelled = "host-b/0000:3b:00.0/vf6";
        const string Stray = "host-b/0000:3b:00.0/vf7";
        const string Misnamed = "host-a/0000:3b:00.0/vf8";
        var b = SingleVf().Created(SpareVf, null).Created(Labelled, "vm-2").Created(Stray, null, state: "RESUMING").Created(Misnamed, null);
        var sent = b.Now;
        b.Destroyed(SpareVf, null).DeleteVf(SpareVf, force: false, ClientOutcome.Ok, sent);
        sent = b.Now;
        b.Destroyed(Labelled, "vm-2").DeleteVf(Labelled, force: true, ClientOutcome.Ok, sent);
        // The call timed out; the PF destroyed the VF after the client had given up.
        sent = b.Now;
        b.DeleteVf(Misnamed, force: false, ClientOutcome.Indeterminate, sent).Wait(Second)
            .Destroyed(Misnamed, null, "m-9", 3); // the PF named the step it was finishing when it saw the VF gone
        b.Destroyed(Stray, null).Cleaned(Stray, "destroy-target", null, "no migration claims it and it has no workload; in RESUMING it can run nothing");

        var report = b.Check();

        Assert.True(report.IsSuccess, report.ToText());
    }

    // ---- invariant 9 ---------------------------------------------------------------------------------------

    [Fact]
    public void A_workload_that_stops_after_its_migration_completed_is_caught()
    {
        var b = SingleVf().Wait(Second).State(TargetVf, "RUNNING", "STOP", Workload);

        var violation = AssertOnlyFails(b.Check(), 9);

        Assert.Equal(TargetVf, violation.Vf);
        Assert.Contains($"after migration {Migration} ended Completed", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_workload_that_stops_after_its_rollback_is_caught()
    {
        var b = RolledBack().Wait(Second).State(SourceVf, "RUNNING", "ERROR", Workload);

        var violation = AssertOnlyFails(b.Check(), 9);

        Assert.Contains("ended RolledBack", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Stopping_for_the_next_migration_or_a_forced_delete_passes()
    {
        var b = SingleVf().Wait(Second)
            .Migration("m-2", Workload, MigrationStates.Requested, 1, "host-b", null)
            .State(TargetVf, "RUNNING", "STOP", Workload, "m-2", 1)
            .State(TargetVf, "STOP", "RUNNING", Workload, "m-2", 1)
            .Migration("m-2", Workload, MigrationStates.RollingBack, 1, "host-b", null, "no target")
            .Migration("m-2", Workload, MigrationStates.RolledBack, 1, "host-b", null, "no target")
            .Wait(Second);
        var sent = b.Now;
        b.Destroyed(TargetVf, Workload).DeleteVf(TargetVf, force: true, ClientOutcome.Ok, sent);

        var report = b.Check();

        Assert.True(report.IsSuccess, report.ToText());
    }

    [Fact]
    public void Stopping_before_the_next_migration_is_requested_is_caught()
    {
        var b = SingleVf().Wait(Second)
            .State(TargetVf, "RUNNING", "STOP", Workload, "m-2", 1)
            .Migration("m-2", Workload, MigrationStates.Requested, 1, "host-b", null)
            .State(TargetVf, "STOP", "RUNNING", Workload, "m-2", 1)
            .Migration("m-2", Workload, MigrationStates.RollingBack, 1, "host-b", null, "no target")
            .Migration("m-2", Workload, MigrationStates.RolledBack, 1, "host-b", null, "no target");

        AssertOnlyFails(b.Check(), 9);
    }

    private static Violation AssertOnlyFails(CheckReport report, int invariant)
    {
        Assert.Equal([invariant], report.Invariants.Where(v => !v.Passed).Select(v => v.Number));
        var verdict = report.Invariants.Single(v => v.Number == invariant);
        Assert.True(verdict.ViolationCount > 0);
        Assert.NotEmpty(verdict.Excerpt);
        return Assert.IsType<Violation>(verdict.FirstViolation);
    }
}
