using System.Globalization;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Checker;

/// <summary>
/// One pass of <see cref="HistoryChecker"/> over merged records: replays VF, slot, reservation and migration state
/// record by record (invariants 1 and 4 are judged as they happen), then judges 2, 3, 5, 6, 8 and 9 at the end.
/// Numbers 1 to 6 are DESIGN.md §4's; 7 there (read-your-writes) is about answers, which histories do not record, so
/// the checker's own rules of issue 14 take 8 (the VF half of DESIGN 6) and 9 (DESIGN 1 between migrations).
/// </summary>
internal sealed class CheckRun
{
    // "Runs the workload": the P2P states still run it (they only stop peer-to-peer DMA).
    private static readonly HashSet<string> RunningStates = new(StringComparer.Ordinal)
    {
        "RUNNING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
    };

    // A migration in one of these states holds its VFs on the PF (its source from the request on, its target from
    // PrepareTarget); Requested is left out because the authority may have granted a VF change just before the claim.
    private static readonly HashSet<string> HoldingStates = new(StringComparer.Ordinal)
    {
        MigrationStates.Placed, MigrationStates.TargetPrepared, MigrationStates.PreCopying, MigrationStates.SwitchoverStarted,
        MigrationStates.StateTransferred, MigrationStates.TargetLoaded, MigrationStates.Committed, MigrationStates.TargetRunning,
    };

    private static readonly HashSet<string> CommittedStates = new(StringComparer.Ordinal)
    {
        MigrationStates.Committed, MigrationStates.TargetRunning, MigrationStates.SourceReleased, MigrationStates.Completed,
    };

    private static readonly (int Number, string Name, string Statement)[] Invariants =
    [
        (1, "single-host", "a workload never runs on two hosts at once, never again on a migration's source once that migration's target ran it, and after a migration ends it runs on exactly one host (source if RolledBack, target if Completed; none is demanded if Failed)"),
        (2, "settles", "every requested migration reaches Completed, RolledBack or Failed within the settle bound after the last fault healed"),
        (3, "no-leaks", "no reservation, slot or VF is left behind by an ended migration"),
        (4, "epoch-fencing", "a command from an older epoch never changes a device"),
        (5, "state-integrity", "the state loaded on the target is byte-identical to what the source saved"),
        (6, "one-per-workload", "at most one migration of a workload is open at any time: the next one is requested only after the earlier one has released the workload (the last step before its end)"),
        (8, "vf-ownership", "a VF is destroyed only by its owner's migration (a target before that migration committed, a source after it committed), by an accepted delete-vf of it (with force=true if it served a workload, and never while a migration in flight held it) or, unassigned, by the reconciler's clean-up of an unclaimed VF"),
        (9, "never-on-none", "after a migration ends Completed or RolledBack its workload runs on some host until its next migration is requested or an accepted forced delete removes its VF"),
    ];

    private readonly IReadOnlyList<HistoryRecord> _records;
    private readonly CheckOptions _options;
    private readonly List<Violation> _violations = [];
    private readonly Dictionary<string, Vf> _liveVfs = new(StringComparer.Ordinal);
    private readonly List<Vf> _allVfs = [];
    private readonly Dictionary<string, Overlap> _overlaps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Home> _homes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Migration> _migrations = new(StringComparer.Ordinal);
    private readonly List<Migration> _migrationOrder = [];
    private readonly Dictionary<string, (long Epoch, int Index)> _maxEpochs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Migration, string Pf, SlotKind Kind), Hold> _slots = [];
    private readonly Dictionary<(string Migration, string Host, string Pf), Hold> _reservations = [];
    private readonly List<(StateSaved Record, int Index)> _saves = [];
    private readonly List<(StateLoaded Record, int Index)> _loads = [];
    private readonly Dictionary<string, Fault> _faults = new(StringComparer.Ordinal);
    private readonly List<(DateTimeOffset CheckTime, Migration Migration)> _pendingEndChecks = [];
    private readonly SortedDictionary<string, int> _recordsPerNode = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SortedDictionary<string, int>> _operations = new(StringComparer.Ordinal);
    private readonly List<Destroy> _unownedDestroys = [];
    private readonly List<(ClientOperation Op, int Index)> _vfDeletes = [];
    private readonly List<(LeftoverCleanedRecord Record, int Index)> _cleanups = [];
    private readonly HashSet<int> _forcedDestroys = [];
    private readonly Dictionary<string, string> _lastRequested = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private readonly List<(string Workload, int Index, Watch Watch)> _nones = [];

    public CheckRun(IReadOnlyList<HistoryRecord> sortedRecords, CheckOptions options)
    {
        _records = sortedRecords;
        _options = options;
    }

    public CheckReport Run()
    {
        for (var i = 0; i < _records.Count; i++)
        {
            var record = _records[i];
            RunEndChecksBefore(record.Time);
            Count(record);
            CheckEpoch(record, i);
            Apply(record, i);
        }

        RunEndChecksBefore(DateTimeOffset.MaxValue);
        FinishOverlaps();
        FinishSettling();
        FinishLeaks();
        FinishStateIntegrity();
        FinishOnePerWorkload();
        FinishOwnership();
        FinishNeverOnNone();
        return BuildReport();
    }

    // ---- replay ----------------------------------------------------------------------------------------------

    private void Apply(HistoryRecord record, int index)
    {
        switch (record)
        {
            case VfCreated c:
                OnVfCreated(c, index);
                break;
            case VfDestroyed d:
                OnVfDestroyed(d, index);
                break;
            case VfStateChanged s:
                {
                    var vf = LiveVf(s.Host, s.Pf, s.Vf, index);
                    var before = vf.Workload;
                    var ran = RunningWorkload(vf);
                    vf.State = s.To;
                    Bind(vf, s.Workload);
                    Note(vf, s.Migration);
                    UpdateRunning(before, index);
                    UpdateRunning(vf.Workload, index);
                    CheckNoReturn(vf, ran, s.Migration, index);
                    break;
                }

            case VfReset r:
                {
                    var vf = LiveVf(r.Host, r.Pf, r.Vf, index);
                    var before = vf.Workload;
                    vf.State = "RUNNING";
                    Bind(vf, r.Workload);
                    if (r.Detached)
                    {
                        vf.Workload = null;
                    }

                    Note(vf, r.Migration);
                    UpdateRunning(before, index);
                    UpdateRunning(vf.Workload, index);
                    break; // a reset wipes the VF's state: it never runs the workload from where it was (no CheckNoReturn)
                }

            case StateSaved s:
                _saves.Add((s, index));
                break;
            case StateLoaded l:
                _loads.Add((l, index));
                break;
            case SlotChanged s:
                Take(_slots, (s.Migration, s.Pf, s.Kind), s.Op == SlotOp.Acquire, index);
                break;
            case PfStarted p:
                // A new PF actor holds no slot: what an earlier incarnation held (its process died) is free now.
                foreach (var key in _slots.Where(kv => kv.Key.Pf == p.Pf && kv.Value.Held).Select(kv => kv.Key).ToList())
                {
                    Take(_slots, key, take: false, index);
                }

                break;
            case ReservationChanged r:
                Take(_reservations, (r.Migration, r.Host, r.Pf ?? ""), r.Op == ReservationOp.Reserve, index);
                break;
            case MigrationStateChanged m:
                OnMigrationState(m, index);
                break;
            case ClientOperation o when ClientOperation.IsMigrate(o.Op) && o.Outcome == ClientOutcome.Ok && o.Migration is not null:
                {
                    var migration = MigrationFor(o.Migration, index, o.Time);
                    migration.Workload ??= o.Workload;
                    migration.ClientIndex ??= index;
                    break;
                }

            case FaultInjected f:
                {
                    var key = f.Id ?? "#" + index.ToString(CultureInfo.InvariantCulture);
                    if (!_faults.TryGetValue(key, out var fault))
                    {
                        _faults[key] = fault = new Fault(f.Kind);
                    }

                    fault.End = f.End ?? fault.End;
                    break;
                }

            case ClientOperation { Op: "delete-vf" } o:
                _vfDeletes.Add((o, index));
                break;
            case LeftoverCleanedRecord l:
                // A note: the clean-up's device and slot records say what changed; invariant 8 reads who destroyed a VF.
                _cleanups.Add((l, index));
                break;
            default:
                break;
        }
    }

    private void OnVfCreated(VfCreated c, int index)
    {
        // A create for a VF that is already live is a re-announcement (a restarted node lists its VFs again),
        // not a new device: keep the same incarnation so migration bookkeeping stays attached to it.
        if (!_liveVfs.TryGetValue(c.Vf, out var vf))
        {
            vf = new Vf(c.Vf, c.Host, c.Pf, index) { CreatedBy = c.Migration };
            _liveVfs[c.Vf] = vf;
            _allVfs.Add(vf);
        }

        var before = vf.Workload;
        var ran = RunningWorkload(vf);
        vf.State = c.State ?? "RUNNING";
        vf.Workload = c.Workload;
        vf.Owner = c.Workload ?? vf.Owner;
        Note(vf, c.Migration);
        UpdateRunning(before, index);
        UpdateRunning(vf.Workload, index);
        CheckNoReturn(vf, ran, c.Migration, index);
    }

    private void OnVfDestroyed(VfDestroyed d, int index)
    {
        _liveVfs.Remove(d.Vf, out var gone);
        if (gone is null || !OwnerDestroyed(gone, d, index))
        {
            _unownedDestroys.Add(new Destroy(index, d, gone, d.Workload ?? gone?.Workload));
        }

        if (gone is not null)
        {
            gone.Alive = false;
            UpdateRunning(gone.Workload, index);
        }
    }

    private void OnMigrationState(MigrationStateChanged m, int index)
    {
        var migration = MigrationFor(m.Migration, index, m.Time);
        if (migration.States.Count == 0 && m.Workload is not null)
        {
            // The workload's newest migration: the watch of invariant 9 on the one before ends here.
            _lastRequested[m.Workload] = m.Migration;
            if (_watches.TryGetValue(m.Workload, out var watch) && watch.Migration != m.Migration)
            {
                _watches.Remove(m.Workload);
            }
        }

        migration.SeenInStates = true;
        migration.Workload ??= m.Workload;
        migration.SourceHost ??= m.SourceHost;
        migration.TargetHost = m.TargetHost ?? migration.TargetHost;
        migration.LastState = m.State;
        migration.LastIndex = index;
        migration.States.Add((index, m.State));
        if (!MigrationStates.IsEnd(m.State))
        {
            return;
        }

        if (migration.EndState is { } earlier)
        {
            if (earlier != m.State)
            {
                Add(2, $"migration {m.Migration} (workload {m.Workload}) ended twice: {earlier} at #{migration.EndIndex}, then {m.State}", m.Migration, m.Workload, null, index, migration.EndIndex);
            }

            return;
        }

        migration.EndState = m.State;
        migration.EndIndex = index;
        migration.EndTime = m.Time;
        if (m.State == MigrationStates.Completed)
        {
            // The source VFs are those of the workload on the source host still alive at the end (or that carried
            // the migration); they must all be gone by the end of the history.
            migration.SourceVfs.AddRange(_liveVfs.Values.Where(v =>
                v.Host == migration.SourceHost && (v.Owner == migration.Workload || v.Migrations.Contains(m.Migration))));
        }

        if (m.State != MigrationStates.Failed)
        {
            // Failed claims no host: the workload's device was lost or runs without its state (DESIGN.md §4).
            _pendingEndChecks.Add((m.Time + _options.ClockTolerance, migration));
        }
    }

    private Vf LiveVf(string host, string pf, string id, int index)
    {
        // A VF first seen in a state change predates the history (or its vf-created was torn off): start tracking it.
        if (!_liveVfs.TryGetValue(id, out var vf))
        {
            vf = new Vf(id, host, pf, index) { State = "RUNNING" };
            _liveVfs[id] = vf;
            _allVfs.Add(vf);
        }

        return vf;
    }

    private static void Bind(Vf vf, string? workload)
    {
        if (workload is not null)
        {
            vf.Workload = workload;
            vf.Owner = workload;
        }
    }

    private static void Note(Vf vf, string? migration)
    {
        if (migration is not null)
        {
            vf.Migrations.Add(migration);
        }
    }

    private static void Take<TKey>(Dictionary<TKey, Hold> holds, TKey key, bool take, int index)
        where TKey : notnull
    {
        // Set semantics, not counting: commands are idempotent, so an acquire repeated by a retry is one hold.
        if (take)
        {
            if (!holds.TryGetValue(key, out var hold) || !hold.Held)
            {
                holds[key] = new Hold(true, index);
            }
        }
        else if (holds.TryGetValue(key, out var hold))
        {
            holds[key] = hold with { Held = false };
        }
    }

    private Migration MigrationFor(string id, int index, DateTimeOffset time)
    {
        if (!_migrations.TryGetValue(id, out var migration))
        {
            migration = new Migration(id, index, time);
            _migrations[id] = migration;
            _migrationOrder.Add(migration);
        }

        return migration;
    }

    private void Count(HistoryRecord record)
    {
        _recordsPerNode[record.Node] = _recordsPerNode.GetValueOrDefault(record.Node) + 1;
        if (record is ClientOperation o)
        {
            if (!_operations.TryGetValue(o.Op, out var byOutcome))
            {
                _operations[o.Op] = byOutcome = new SortedDictionary<string, int>(StringComparer.Ordinal);
            }

            var outcome = OutcomeName(o.Outcome);
            byOutcome[outcome] = byOutcome.GetValueOrDefault(outcome) + 1;
        }
    }

    private static string OutcomeName(ClientOutcome outcome) => outcome switch
    {
        ClientOutcome.Ok => "ok",
        ClientOutcome.Failed => "failed",
        _ => "indeterminate",
    };

    // ---- invariant 1 -----------------------------------------------------------------------------------------

    private List<string> RunningHosts(string workload) =>
        [.. _liveVfs.Values
            .Where(v => v.Workload == workload && RunningStates.Contains(v.State))
            .Select(v => v.Host)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    private void UpdateRunning(string? workload, int index)
    {
        if (workload is null)
        {
            return;
        }

        var hosts = RunningHosts(workload);
        if (hosts.Count == 0 && _watches.Remove(workload, out var watch))
        {
            _nones.Add((workload, index, watch)); // judged at the end: a forced delete may explain it
        }

        var open = _overlaps.GetValueOrDefault(workload);
        if (hosts.Count > 1 && open is null)
        {
            _overlaps[workload] = new Overlap(index, _records[index].Time, string.Join(", ", hosts));
        }
        else if (hosts.Count <= 1 && open is not null)
        {
            _overlaps.Remove(workload);
            var length = _records[index].Time - open.StartTime;
            // Strictly shorter than the tolerance is forgiven; with the default tolerance of zero nothing is.
            if (!(length < _options.ClockTolerance))
            {
                Add(1, $"workload {workload} ran on two hosts at once ({open.Hosts}) for {Ms(length)} (clock tolerance {Ms(_options.ClockTolerance)})", MigrationOf(workload), workload, null, open.StartIndex, index);
            }
        }
    }

    private static string? RunningWorkload(Vf vf) => vf.Alive && RunningStates.Contains(vf.State) ? vf.Workload : null;

    /// <summary>
    /// The other half of invariant 1 (DESIGN.md §4: "the source never runs again"): once a migration's target VF ran
    /// the workload, the workload lives there; its source starting it again, even after the target stopped, runs it
    /// from the state it had before and loses what the target did. Only a later migration's target moves it on.
    /// </summary>
    private void CheckNoReturn(Vf vf, string? ranBefore, string? migration, int index)
    {
        if (RunningWorkload(vf) is not { } workload || ranBefore == workload)
        {
            return; // not running, or already running the same workload before this record
        }

        var time = _records[index].Time;
        if (migration is not null && vf.CreatedBy == migration)
        {
            _homes[workload] = new Home(vf.Host, migration, index, time); // the migration's own target starts it
            return;
        }

        if (_homes.TryGetValue(workload, out var home) && home.Host != vf.Host
            && _migrations.TryGetValue(home.Migration, out var moved) && (moved.SourceHost is null || moved.SourceHost == vf.Host)
            && !(time - home.Time < _options.ClockTolerance))
        {
            Add(1, $"workload {workload} ran again on {vf.Host} ({vf.Id}), the source of migration {home.Migration}, after that migration's target on {home.Host} had run it from {UtcTimestampConverter.ToText(home.Time)}: what it did on {home.Host} is lost", home.Migration, workload, vf.Id, index, home.Index);
        }
    }

    private void FinishOverlaps()
    {
        foreach (var (workload, open) in _overlaps)
        {
            Add(1, $"workload {workload} runs on two hosts at once ({open.Hosts}) from {UtcTimestampConverter.ToText(open.StartTime)} to the end of the history", MigrationOf(workload), workload, null, open.StartIndex);
        }
    }

    private void RunEndChecksBefore(DateTimeOffset time)
    {
        // An end check waits until every record up to (end + tolerance) has been applied.
        for (var i = 0; i < _pendingEndChecks.Count;)
        {
            var (checkTime, migration) = _pendingEndChecks[i];
            if (checkTime < time)
            {
                _pendingEndChecks.RemoveAt(i);
                CheckEndHost(migration);
            }
            else
            {
                i++;
            }
        }
    }

    private void CheckEndHost(Migration migration)
    {
        var completed = migration.EndState == MigrationStates.Completed;
        var expected = completed ? migration.TargetHost : migration.SourceHost;
        var hosts = migration.Workload is null ? [] : RunningHosts(migration.Workload);
        if (expected is not null && hosts.Count == 1 && hosts[0] == expected)
        {
            if (migration.Workload is { } workload && _lastRequested.GetValueOrDefault(workload) == migration.Id)
            {
                _watches[workload] = new Watch(migration.Id, migration.EndState!, migration.EndIndex, migration.EndTime);
            }

            return;
        }

        var where = hosts.Count == 0 ? "no host" : string.Join(", ", hosts);
        Add(1, $"after migration {migration.Id} {migration.EndState}, workload {migration.Workload} runs on {where}; expected exactly {(completed ? "the target" : "the source")} {expected ?? "(unknown)"}", migration.Id, migration.Workload, null, migration.EndIndex);
    }

    private string? MigrationOf(string workload) =>
        _migrationOrder.LastOrDefault(m => m.Workload == workload)?.Id;

    // ---- invariant 2 -----------------------------------------------------------------------------------------

    private void FinishSettling()
    {
        var lastHealed = LastFaultHealed();
        var unhealed = _faults.Values.Where(f => f.End is null).Select(f => f.Kind).ToList();
        var historyEnd = _records.Count == 0 ? DateTimeOffset.MinValue : _records[^1].Time;
        foreach (var m in _migrationOrder)
        {
            if (!m.SeenInStates)
            {
                // Only an accepted migrate names a migration that must appear; indeterminate ones may never exist.
                Add(2, $"migration {m.Id} (workload {m.Workload}) was accepted by the API (client-op #{m.ClientIndex}) but never appears in a migration-state record", m.Id, m.Workload, null, m.ClientIndex ?? m.FirstIndex);
                continue;
            }

            var baseline = lastHealed is { } healed && healed > m.FirstTime ? healed : m.FirstTime;
            var since = lastHealed is { } h && h > m.FirstTime ? "the last fault healed" : "it was requested";
            if (m.EndState is null)
            {
                var faults = unhealed.Count == 0 ? "" : $"; faults never healed: {string.Join(", ", unhealed)}";
                Add(2, $"migration {m.Id} (workload {m.Workload}) did not end: still in {m.LastState} at the end of the history ({Ms(historyEnd - baseline)} after {since}, bound {Ms(_options.SettleBound)}){faults}", m.Id, m.Workload, null, m.LastIndex);
            }
            else if (m.EndTime - baseline > _options.SettleBound)
            {
                Add(2, $"migration {m.Id} (workload {m.Workload}) reached {m.EndState} {Ms(m.EndTime - baseline)} after {since}, more than the bound {Ms(_options.SettleBound)}", m.Id, m.Workload, null, m.EndIndex);
            }
        }
    }

    private DateTimeOffset? LastFaultHealed() =>
        _faults.Values.Where(f => f.End is not null).Select(f => f.End).Max();

    // ---- invariant 3 -----------------------------------------------------------------------------------------

    private void FinishLeaks()
    {
        foreach (var m in _migrationOrder.Where(m => m.EndState is not null))
        {
            foreach (var ((_, pf, kind), hold) in _slots.Where(s => s.Key.Migration == m.Id && s.Value.Held))
            {
                var name = kind == SlotKind.Vf ? "VF" : "migration";
                Add(3, $"migration {m.Id} (workload {m.Workload}, {m.EndState}) left a {name} slot held on PF {pf}: acquired at #{hold.Index}, never released", m.Id, m.Workload, null, hold.Index, m.EndIndex);
            }

            foreach (var ((_, host, pf), hold) in _reservations.Where(r => r.Key.Migration == m.Id && r.Value.Held))
            {
                var on = pf.Length == 0 ? host : pf;
                Add(3, $"migration {m.Id} (workload {m.Workload}, {m.EndState}) left a reservation on {on}: reserved at #{hold.Index}, never released", m.Id, m.Workload, null, hold.Index, m.EndIndex);
            }

            if (m.EndState == MigrationStates.RolledBack)
            {
                foreach (var vf in _allVfs.Where(v => v.Alive && v.CreatedBy == m.Id))
                {
                    Add(3, $"target VF {vf.Id} created by migration {m.Id} (workload {m.Workload}) still exists after it RolledBack", m.Id, m.Workload, vf.Id, vf.FirstIndex, m.EndIndex);
                }
            }
            else
            {
                foreach (var vf in m.SourceVfs.Where(v => v.Alive))
                {
                    Add(3, $"source VF {vf.Id} of workload {m.Workload} still exists after migration {m.Id} Completed", m.Id, m.Workload, vf.Id, m.EndIndex, vf.FirstIndex);
                }
            }
        }
    }

    // ---- invariant 4 -----------------------------------------------------------------------------------------

    /// <summary>
    /// The PF is the fence: it learns a newer epoch when the new coordinator's first command reaches it. So a device
    /// change carrying (M, e) is stale when the SAME PF had already shown a record of M with a newer epoch (a
    /// command it ran, fenced, or a slot it gave). Records of the coordinator (migration-state, reservation) carry
    /// the new epoch before any PF knows it and do not count: a step already running on a PF then is not stale.
    /// </summary>
    private void CheckEpoch(HistoryRecord record, int index)
    {
        var (migration, epoch, changesDevice, vf, pf) = record switch
        {
            VfRecord v => (v.Migration, v.Epoch, true, v.Vf, v.Pf),
            StateStreamRecord t => (t.Migration, (long?)t.Epoch, t is StateLoaded, t.Vf, t.Pf),
            CommandFenced f => (f.Migration, (long?)f.CurrentEpoch, false, f.Vf, f.Pf),
            SlotChanged s => (s.Migration, s.Epoch, false, null, s.Pf),
            _ => ((string?)null, (long?)null, false, (string?)null, (string?)null),
        };
        if (migration is null || epoch is not { } e || pf is null)
        {
            return;
        }

        var key = migration + "@" + pf;
        var seen = _maxEpochs.TryGetValue(key, out var max) ? max : (Epoch: long.MinValue, Index: -1);
        if (changesDevice && seen.Epoch > e)
        {
            var kind = KindOf(record);
            Add(4, $"{kind} of VF {vf} carries migration {migration} epoch {e} after PF {pf} had seen epoch {seen.Epoch} (#{seen.Index}): a stale command changed the device", migration, _migrations.GetValueOrDefault(migration)?.Workload, vf, index, seen.Index);
        }

        if (e > seen.Epoch)
        {
            _maxEpochs[key] = (e, index);
        }
    }

    // ---- invariant 5 -----------------------------------------------------------------------------------------

    /// <summary>
    /// Invariant 6: two migrations of one workload never overlap. The one exception is by design: a migration releases
    /// the workload (with its reservations) as its last step, so the next may be requested between that release and the
    /// earlier one's end record; then the earlier one was in SourceReleased or RollingBack and recorded nothing but its end
    /// (and that same state again, if its coordinator recovered, and the end again, if it restarted once ended) after the
    /// next one's request.
    /// </summary>
    private void FinishOnePerWorkload()
    {
        var open = _migrationOrder.Where(m => m.States.Count > 0 && m.Workload is not null);
        foreach (var workload in open.GroupBy(m => m.Workload!, StringComparer.Ordinal))
        {
            var ordered = workload.OrderBy(m => m.States[0].Index).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                for (var j = i + 1; j < ordered.Count; j++)
                {
                    var (earlier, later) = (ordered[i], ordered[j]);
                    var requested = later.States[0].Index;
                    if (earlier.EndIndex >= 0 && earlier.EndIndex < requested)
                    {
                        continue;
                    }

                    var before = earlier.States.LastOrDefault(s => s.Index < requested).State;
                    // After the next request the earlier one may record its end and, when its coordinator recovered in
                    // the window (a new incarnation reports its state again, at a new epoch), the same state once more;
                    // an ended coordinator that restarts later (its shard moved, or a read of it) reports its end again.
                    var after = earlier.States.Where(s => s.Index > requested).Select(s => s.State).ToList();
                    var end = after.FindIndex(MigrationStates.IsEnd);
                    var releasedOnly = before is MigrationStates.SourceReleased or MigrationStates.RollingBack
                                       && end >= 0
                                       && after.Take(end).All(s => s == before)
                                       && after.Skip(end).All(s => s == after[end]);
                    if (!releasedOnly)
                    {
                        Add(6, $"workload {workload.Key} had two open migrations: {earlier.Id} ({before ?? "not yet requested"}) was still open when {later.Id} was requested", later.Id, workload.Key, null, requested, earlier.States[0].Index);
                    }
                }
            }
        }
    }

    private void FinishStateIntegrity()
    {
        foreach (var m in _migrationOrder.Where(m => m.EndState == MigrationStates.Completed))
        {
            var loads = _loads.Where(l => l.Record.Migration == m.Id).ToList();
            if (loads.Count == 0)
            {
                Add(5, $"migration {m.Id} (workload {m.Workload}) Completed but no state-loaded record shows the target loading state", m.Id, m.Workload, null, m.EndIndex);
                continue;
            }

            foreach (var group in loads.GroupBy(l => l.Record.Epoch))
            {
                var saves = _saves.Where(s => s.Record.Migration == m.Id && s.Record.Epoch == group.Key).ToList();
                var unpairedSaves = saves.Where(s => s.Record.Pair is null).ToList();
                var unpairedLoads = 0;
                foreach (var (load, loadIndex) in group)
                {
                    (StateSaved Record, int Index)? save;
                    if (load.Pair is { } pair)
                    {
                        // The latest save of that pair before the load: a retried save supersedes the earlier one.
                        var same = saves.Where(s => s.Record.Pair == pair).ToList();
                        save = same.LastOrDefault(s => s.Index < loadIndex) is { Record: not null } before ? before
                            : same.Count > 0 ? same[^1] : null;
                    }
                    else
                    {
                        save = unpairedLoads < unpairedSaves.Count ? unpairedSaves[unpairedLoads] : null;
                        unpairedLoads++;
                    }

                    var name = load.Pair is null ? $"load #{unpairedLoads} (by order)" : $"pair {load.Pair}";
                    if (save is not { } s)
                    {
                        Add(5, $"migration {m.Id} epoch {group.Key} {name}: target VF {load.Vf} loaded {load.Bytes} bytes (checksum {load.Checksum}) that no state-saved of that migration and epoch produced", m.Id, m.Workload, load.Vf, loadIndex);
                    }
                    else if (s.Record.Checksum != load.Checksum || s.Record.Bytes != load.Bytes)
                    {
                        Add(5, $"migration {m.Id} epoch {group.Key} {name}: target VF {load.Vf} loaded checksum {load.Checksum} ({load.Bytes} bytes) but source VF {s.Record.Vf} saved checksum {s.Record.Checksum} ({s.Record.Bytes} bytes)", m.Id, m.Workload, load.Vf, loadIndex, s.Index);
                    }
                }
            }
        }
    }

    // ---- invariant 8 -----------------------------------------------------------------------------------------

    /// <summary>
    /// Whether a migration owned <paramref name="vf"/> when it was destroyed: its target (created by it, or first seen on
    /// its target host under its workload) before it committed, or its source (the workload's VF on its source host)
    /// after it committed. The PF names the migration whose step it was finishing when it noticed the VF gone, which
    /// may be another migration's step on the same PF, so every migration the VF was part of is asked.
    /// </summary>
    private bool OwnerDestroyed(Vf vf, VfDestroyed d, int index)
    {
        var candidates = new HashSet<string>(vf.Migrations, StringComparer.Ordinal);
        if (vf.CreatedBy is { } creator)
        {
            candidates.Add(creator);
        }

        if (d.Migration is { } named)
        {
            candidates.Add(named);
        }

        foreach (var id in candidates)
        {
            var m = _migrations.GetValueOrDefault(id);
            var committed = m is not null && m.States.Any(s => s.Index < index && CommittedStates.Contains(s.State));
            var target = vf.CreatedBy == id || (vf.CreatedBy is null && m is not null && vf.Host == m.TargetHost && vf.Owner == m.Workload);
            var source = m is not null && vf.Owner is not null && vf.Owner == m.Workload && vf.Host == m.SourceHost;
            if ((target && !committed) || (source && committed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Invariant 8 for the destroys no owning migration explains: each must be an accepted (ok or indeterminate)
    /// <c>delete-vf</c> of that VF whose call overlaps the destroy (an indeterminate one may finish up to the settle
    /// bound after the client gave up), forced if the VF served a workload, and not of a VF a migration in flight held
    /// both when the call was sent and when the VF went; or, for an unassigned VF, the reconciler's clean-up of an
    /// unclaimed VF (<c>leftover-cleaned</c> destroy-target without a migration, written after the destroy).
    /// </summary>
    private void FinishOwnership()
    {
        var usedDeletes = new HashSet<int>();
        var usedCleanups = new HashSet<int>();
        foreach (var destroy in _unownedDestroys)
        {
            var d = destroy.Record;
            var served = destroy.Served is null ? "unassigned" : $"serving workload {destroy.Served}";
            var (op, opIndex) = _vfDeletes.FirstOrDefault(x => !usedDeletes.Contains(x.Index) && x.Op.Vf == d.Vf
                && x.Op.Outcome != ClientOutcome.Failed
                && x.Op.Start - _options.ClockTolerance <= d.Time
                && d.Time <= x.Op.End + (x.Op.Outcome == ClientOutcome.Ok ? _options.ClockTolerance : _options.SettleBound));
            if (op is not null)
            {
                usedDeletes.Add(opIndex);
                if (destroy.Served is not null && op.Force != true)
                {
                    Add(8, $"VF {d.Vf} ({served}) was destroyed at {UtcTimestampConverter.ToText(d.Time)} (#{destroy.Index}) by delete-vf #{opIndex} ({OutcomeName(op.Outcome)}), which did not say force=true", d.Migration, destroy.Served, d.Vf, destroy.Index, opIndex);
                }
                else if (destroy.Vf is not null && HeldBy(destroy.Vf, op.Start, destroy.Index) is { } held)
                {
                    Add(8, $"VF {d.Vf} ({served}) was destroyed at {UtcTimestampConverter.ToText(d.Time)} (#{destroy.Index}) by delete-vf #{opIndex} (sent {UtcTimestampConverter.ToText(op.Start)}, force={(op.Force == true ? "true" : "false")}) while migration {held} held it from before the call to the destroy: the delete should have been refused (409 VfHeldByMigration)", held, destroy.Served, d.Vf, destroy.Index, opIndex);
                }
                else if (op.Force == true)
                {
                    _forcedDestroys.Add(destroy.Index);
                }

                continue;
            }

            var (cleanup, cleanupIndex) = _cleanups.FirstOrDefault(x => !usedCleanups.Contains(x.Index) && x.Record.Vf == d.Vf
                && x.Record.Migration is null && x.Record.Action == "destroy-target"
                && x.Record.Time >= d.Time - _options.ClockTolerance && x.Record.Time <= d.Time + _options.SettleBound);
            if (cleanup is not null && destroy.Served is null)
            {
                usedCleanups.Add(cleanupIndex);
                continue;
            }

            var by = d.Migration is null ? "no migration" : $"migration {d.Migration} epoch {d.Epoch}";
            var vf = destroy.Vf;
            var owner = vf is null ? "a VF never seen created"
                : vf.CreatedBy is { } creator ? $"created by migration {creator}{(_migrations.TryGetValue(creator, out var cm) && cm.States.Any(s => s.Index < destroy.Index && CommittedStates.Contains(s.State)) ? ", which had committed (the workload's home)" : "")}"
                : vf.Migrations.Count == 0 ? "part of no migration" : $"part of migrations {string.Join(", ", vf.Migrations.Order(StringComparer.Ordinal))}, none of which owned it then";
            Add(8, $"VF {d.Vf} ({served}, {owner}) was destroyed at {UtcTimestampConverter.ToText(d.Time)} (#{destroy.Index}, recorded under {by}) neither by its owner's migration nor by an accepted delete-vf{(destroy.Served is null ? " or a clean-up of an unclaimed VF" : "")}", d.Migration, destroy.Served, d.Vf, destroy.Index, vf?.FirstIndex);
        }
    }

    /// <summary>A migration that held <paramref name="vf"/> (as its source or target) both at <paramref name="sent"/> and at record <paramref name="index"/>.</summary>
    private string? HeldBy(Vf vf, DateTimeOffset sent, int index)
    {
        foreach (var id in vf.Migrations.Append(vf.CreatedBy).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (!_migrations.TryGetValue(id, out var m))
            {
                continue;
            }

            var role = vf.CreatedBy == id || (vf.Host == m.TargetHost && vf.Owner == m.Workload)
                || (vf.Host == m.SourceHost && vf.Owner == m.Workload);
            var atSend = m.States.LastOrDefault(s => _records[s.Index].Time <= sent).State;
            var atDestroy = m.States.LastOrDefault(s => s.Index < index).State;
            if (role && atSend is not null && HoldingStates.Contains(atSend) && atDestroy is not null && HoldingStates.Contains(atDestroy))
            {
                return id;
            }
        }

        return null;
    }

    // ---- invariant 9 -----------------------------------------------------------------------------------------

    /// <summary>
    /// Invariant 9: from the moment a Completed or RolledBack migration's end was found on exactly one host (invariant 1)
    /// until the workload's next migration is requested, the workload runs somewhere; the one record allowed to take it
    /// to no host is the destroy of its last VF by an accepted forced delete (matched by <see cref="FinishOwnership"/>).
    /// </summary>
    private void FinishNeverOnNone()
    {
        foreach (var (workload, index, watch) in _nones)
        {
            if (_forcedDestroys.Contains(index))
            {
                continue;
            }

            var record = _records[index];
            var vf = VfOf(record);
            Add(9, $"workload {workload} runs on no host from {UtcTimestampConverter.ToText(record.Time)} (#{index}: {KindOf(record)} of VF {vf}) after migration {watch.Migration} ended {watch.State} at {UtcTimestampConverter.ToText(watch.EndTime)} (#{watch.EndIndex}); no later migration of it was requested and no accepted forced delete removed its VF", watch.Migration, workload, vf, index, watch.EndIndex);
        }
    }

    private static string? VfOf(HistoryRecord record) => (record as VfRecord)?.Vf;

    // ---- report ----------------------------------------------------------------------------------------------

    private void Add(int invariant, string description, string? migration, string? workload, string? vf, int index, int? related = null) =>
        _violations.Add(new Violation(invariant, description, migration, workload, vf, index, related));

    private CheckReport BuildReport()
    {
        var verdicts = new List<InvariantVerdict>();
        foreach (var (number, name, statement) in Invariants)
        {
            // Earliest first; a violation judged at the end of the history (index -1) comes after all others.
            var found = _violations
                .Where(v => v.Invariant == number)
                .OrderBy(v => v.RecordIndex < 0 ? int.MaxValue : v.RecordIndex)
                .ToList();
            var first = found.FirstOrDefault();
            verdicts.Add(new InvariantVerdict(
                number,
                name,
                statement,
                found.Count == 0,
                found.Count,
                first,
                first is null ? [] : Excerpt(first),
                [.. found.Take(_options.MaxListedViolations).Select(v => v.Description)]));
        }

        var migrations = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in _migrationOrder)
        {
            var state = m.EndState ?? m.LastState ?? "NeverAppeared";
            migrations[state] = migrations.GetValueOrDefault(state) + 1;
        }

        var faults = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in _faults.Values)
        {
            faults[f.Kind] = faults.GetValueOrDefault(f.Kind) + 1;
        }

        return new CheckReport
        {
            RecordCount = _records.Count,
            FirstTime = _records.Count == 0 ? null : _records[0].Time,
            LastTime = _records.Count == 0 ? null : _records[^1].Time,
            LastFaultHealed = LastFaultHealed(),
            RecordsPerNode = _recordsPerNode,
            Operations = _operations.ToDictionary(o => o.Key, o => (IReadOnlyDictionary<string, int>)o.Value, StringComparer.Ordinal),
            Faults = faults,
            Migrations = migrations,
            Invariants = verdicts,
        };
    }

    private List<string> Excerpt(Violation violation)
    {
        var focus = violation.RecordIndex >= 0 ? violation.RecordIndex : _records.Count;
        var related = violation.RelatedRecordIndex ?? -1;
        var picked = new SortedSet<int>();
        for (int i = focus - 1, n = 0; i >= 0 && n < _options.ExcerptBefore; i--)
        {
            if (i == related || Relevant(_records[i], violation))
            {
                picked.Add(i);
                n++;
            }
        }

        for (int i = focus + 1, n = 0; i < _records.Count && n < _options.ExcerptAfter; i++)
        {
            if (i == related || Relevant(_records[i], violation))
            {
                picked.Add(i);
                n++;
            }
        }

        if (focus < _records.Count)
        {
            picked.Add(focus);
        }

        if (related >= 0)
        {
            picked.Add(related);
        }

        return [.. picked.Select(i => $"{(i == focus ? ">" : " ")} #{i} {HistoryJson.Serialize(_records[i])}")];
    }

    private static bool Relevant(HistoryRecord record, Violation v)
    {
        bool Is(string? value, string? wanted) => wanted is not null && value == wanted;
        bool About(string? migration, string? workload, string? vf) =>
            Is(migration, v.Migration) || Is(workload, v.Workload) || Is(vf, v.Vf);

        return record switch
        {
            VfRecord r => About(r.Migration, r.Workload, r.Vf),
            StateStreamRecord t => About(t.Migration, null, t.Vf),
            CommandFenced f => About(f.Migration, null, f.Vf),
            SlotChanged s => About(s.Migration, null, null),
            ReservationChanged r => About(r.Migration, null, null),
            LeftoverCleanedRecord l => About(l.Migration, null, l.Vf),
            MigrationStateChanged m => About(m.Migration, m.Workload, null),
            ClientOperation o => About(o.Migration, o.Workload, o.Vf),
            // Faults are rare and explain most violations: always show them.
            FaultInjected => true,
            _ => false,
        };
    }

    private static string KindOf(HistoryRecord record) => record switch
    {
        VfCreated => "vf-created",
        VfDestroyed => "vf-destroyed",
        VfStateChanged => "vf-state",
        VfReset => "vf-reset",
        StateLoaded => "state-loaded",
        _ => record.GetType().Name,
    };

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    /// <summary>One incarnation of a VF: from its create (or first sighting) to its destroy.</summary>
    private sealed class Vf(string id, string host, string pf, int firstIndex)
    {
        public string Id { get; } = id;

        public string Host { get; } = host;

        public string Pf { get; } = pf;

        public int FirstIndex { get; } = firstIndex;

        public string State { get; set; } = "RUNNING";

        /// <summary>The workload the VF runs now; null when unassigned or detached by a release reset.</summary>
        public string? Workload { get; set; }

        /// <summary>The last workload it was bound to, kept across a detaching reset to find source VFs.</summary>
        public string? Owner { get; set; }

        public string? CreatedBy { get; init; }

        public HashSet<string> Migrations { get; } = new(StringComparer.Ordinal);

        public bool Alive { get; set; } = true;
    }

    private sealed class Migration(string id, int firstIndex, DateTimeOffset firstTime)
    {
        public string Id { get; } = id;

        public int FirstIndex { get; } = firstIndex;

        public DateTimeOffset FirstTime { get; } = firstTime;

        public string? Workload { get; set; }

        public string? SourceHost { get; set; }

        public string? TargetHost { get; set; }

        public bool SeenInStates { get; set; }

        public int? ClientIndex { get; set; }

        public string? LastState { get; set; }

        public int LastIndex { get; set; } = -1;

        public string? EndState { get; set; }

        public int EndIndex { get; set; } = -1;

        public DateTimeOffset EndTime { get; set; }

        public List<Vf> SourceVfs { get; } = [];

        /// <summary>Every migration-state record of it: where it entered which state.</summary>
        public List<(int Index, string State)> States { get; } = [];
    }

    private sealed record Overlap(int StartIndex, DateTimeOffset StartTime, string Hosts);

    /// <summary>A vf-destroyed no owning migration explains; <paramref name="Served"/> is the workload it served then, if any.</summary>
    private sealed record Destroy(int Index, VfDestroyed Record, Vf? Vf, string? Served);

    /// <summary>Invariant 9: the workload must run somewhere since <paramref name="Migration"/> ended in <paramref name="State"/>.</summary>
    private sealed record Watch(string Migration, string State, int EndIndex, DateTimeOffset EndTime);

    /// <summary>Where a workload lives since the target VF of <paramref name="Migration"/> started running it.</summary>
    private sealed record Home(string Host, string Migration, int Index, DateTimeOffset Time);

    private sealed class Fault(string kind)
    {
        public string Kind { get; } = kind;

        public DateTimeOffset? End { get; set; }
    }

    /// <summary>A held slot or reservation and the record that took it.</summary>
    private readonly record struct Hold(bool Held, int Index);
}
