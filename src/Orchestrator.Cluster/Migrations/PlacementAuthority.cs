using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using static Orchestrator.Cluster.Migrations.PlacementEvents;
using static Orchestrator.Cluster.Migrations.PlacementProtocol;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// The one place that decides targets and admissions, so that two coordinators on two nodes never reserve the
/// same VF slot or exceed a concurrency limit (the race peers have had). A persistent cluster singleton: its
/// ledger of reservations and admissions survives a move to another node. Waiting admissions are not persisted:
/// coordinators ask again until admitted.
/// </summary>
public sealed class PlacementAuthority : ReceivePersistentActor, IWithTimers
{
    private const string InventoryWaitTimer = "inventory-wait";
    private const string SweepTimer = "claim-sweep";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeProvider _time;
    private readonly Dictionary<MigrationId, PlacementTarget> _targets = [];
    private readonly Dictionary<MigrationId, IActorRef> _waiters = [];

    // When each queued migration first asked for admission (not persisted: for the admission-wait metric only; removed
    // at the grant or the release, so it holds at most the queue).
    private readonly Dictionary<MigrationId, DateTimeOffset> _askedAt = [];
    private readonly List<(VfId Vf, DateTimeOffset ReleasedAt)> _settling = [];

    // Source VFs of migrations that went forward and were just released: a claim naming one was built from an
    // inventory read before that migration ended. In memory for SettleFor (a lost entry only lets such a request reach
    // Place, which refuses it for want of the VF, as before).
    private readonly List<(VfId Vf, MigrationId By, DateTimeOffset At)> _departed = [];
    private readonly Dictionary<VfId, DateTimeOffset> _vfChanges = []; // operator changes under way, until their expiry
    private readonly HashSet<MigrationId> _checking = []; // claims the sweep is asking about
    private readonly PlacementAuthoritySettings _settings;
    private ReservationLedger _ledger = ReservationLedger.Empty;
    private WorkloadClaims _claims = WorkloadClaims.Empty;
    private AdmissionQueue _admission;
    private readonly DirectoryCopy _directory = new();
    private bool _inventoryKnown;
    private readonly HashSet<int> _shardsAnswered = []; // directory shards whose local copy was read (before ready)
    private int _writing; // journal writes under way
    private long _snapshotSequenceNr; // where the last snapshot (recovered or saved) stands

    public PlacementAuthority(ConcurrencyLimits limits, TimeProvider time, PlacementAuthoritySettings? settings = null)
    {
        _time = time;
        _settings = settings ?? new PlacementAuthoritySettings();
        _admission = AdmissionQueue.Create(limits);

        Recover<WorkloadClaimed>(Apply);
        Recover<Reserved>(Apply);
        Recover<AdmissionGranted>(Apply);
        Recover<Released>(Apply);
        Recover<SnapshotOffer>(offer =>
        {
            _snapshotSequenceNr = offer.Metadata.SequenceNr;
            Apply((LedgerSnapshot)offer.Snapshot);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            // The events replayed since the snapshot count too: an authority that moves often must still snapshot,
            // or each hand-over would replay more.
            MaybeSnapshot();
            var replicator = DistributedData.Get(Context.System).Replicator;
            HostDirectory.Subscribe(replicator, Self);
            Timers.StartSingleTimer(InventoryWaitTimer, InventoryWaitOver.Instance, _settings.InventoryWait);
            Timers.StartPeriodicTimer(SweepTimer, SweepClaims.Instance, _settings.ClaimSweepInterval);
        });

        Command<Changed>(c => OnInventory(c.Key, c.Data, answered: false));
        Command<GetSuccess>(g => OnInventory(g.Key, g.Data, answered: true));
        Command<NotFound>(n => OnInventory(n.Key, null, answered: true));
        Command<InventoryWaitOver>(_ => BecomeReady("waited 5 s for the inventory"));
        Command<PlaceMigration>(_ => Stash.Stash());
        Command<QueryPlacement>(_ => Stash.Stash());
        Command<RequestAdmission>(_ => Stash.Stash());
        Command<ReleaseMigration>(_ => Stash.Stash());
        Command<BeginVfChange>(_ => Stash.Stash());
        Command<ProbeReady>(_ => Stash.Stash());
        ClaimCommands(); // Claims need no inventory: answered from the recovered ledger at once.
        SnapshotCommands();
        Command<GetLedger>(_ => Sender.Tell(Holdings())); // The ledger is recovered: readable before the inventory is.
    }

    public override string PersistenceId => "placement-authority";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ConcurrencyLimits limits, TimeProvider time, PlacementAuthoritySettings? settings = null) =>
        Akka.Actor.Props.Create(() => new PlacementAuthority(limits, time, settings));

    private void OnInventory(IKey key, object? data, bool answered)
    {
        _directory.Apply(key, data);
        if (answered && HostDirectory.ShardOfKey(key) is var shard and >= 0)
        {
            _shardsAnswered.Add(shard);
        }

        // Every shard's local copy first: placing with some hosts' shards still unread would refuse or misplace.
        if (!_inventoryKnown && _directory.HostCount > 0 && _shardsAnswered.Count == HostDirectory.ShardCount)
        {
            BecomeReady($"{_directory.HostCount} host(s) known");
        }
    }

    private void BecomeReady(string why)
    {
        if (_inventoryKnown)
        {
            return;
        }

        _inventoryKnown = true;
        Timers.Cancel(InventoryWaitTimer);
        _log.Info("placement authority ready: {Why}; {Reservations} reservation(s), {Admitted} admitted migration(s)", why, _ledger.All.Count, _admission.Running.Count);
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Ready()
    {
        Command<Changed>(c => _directory.Apply(c.Key, c.Data));
        Command<GetSuccess>(g => _directory.Apply(g.Key, g.Data));
        Command<NotFound>(_ => { });
        Command<InventoryWaitOver>(_ => { });
        Command<PlaceMigration>(p => OnPlace(p, Sender, refreshed: false));
        Command<Refreshed>(r =>
        {
            if (r.Read is { } read)
            {
                _directory.Merge(read);
            }

            switch (r.Request)
            {
                case PlaceMigration place:
                    OnPlace(place, r.ReplyTo, refreshed: true);
                    break;
                case BeginVfChange change:
                    OnBeginVfChange(change, r.ReplyTo, refreshed: true);
                    break;
                case QueryPlacement query:
                    r.ReplyTo.Tell(new PlacementAnswer(null, Placer.Place(query.Request, _directory.View.Inventory, LedgerWithSettling(), queueForMigrationSlots: true)));
                    break;
            }
        });

        // A dry run is rare, and people and schedulers act on its answer: always read every node's directory first, not
        // this node's replica alone, which lacks an entry written to a majority that left it out until gossip spreads
        // it (a chaos run in a fresh cluster found no target for any workload).
        Command<QueryPlacement>(q => ReadAgain(q, Sender));
        Command<RequestAdmission>(OnAdmission);
        Command<ReleaseMigration>(OnRelease);
        Command<BeginVfChange>(change => OnBeginVfChange(change, Sender, refreshed: false));
        ClaimCommands();
        SnapshotCommands();
        Command<GetLedger>(_ => Sender.Tell(Holdings()));
        Command<ProbeReady>(_ => Sender.Tell(new AuthorityReady(_directory.HostCount)));
    }

    private void ClaimCommands()
    {
        Command<ClaimWorkload>(OnClaim);
        Command<EndVfChange>(e =>
        {
            if (_vfChanges.Remove(e.Vf))
            {
                _settling.Add((e.Vf, _time.GetUtcNow())); // until the directory shows what the operator did there
            }
        });
        Command<SweepClaims>(_ => OnSweep());
        Command<ClaimChecked>(OnClaimChecked);
    }

    // ---- One migration per workload ----

    private void OnClaim(ClaimWorkload claim)
    {
        var replyTo = Sender;
        var wanted = new WorkloadClaim(claim.Migration, claim.Workload, [.. claim.SourceVfs.Distinct().Order()], _time.GetUtcNow());
        if (_claims.RefusalOf(wanted) is { } refusal)
        {
            _log.Info("[{Migration}] claim of {Workload} refused: {Reason}", claim.Migration, claim.Workload, refusal);
            replyTo.Tell(new WorkloadClaimRefused(claim.Migration, claim.Workload, _claims.BlockerOf(wanted), refusal));
            return;
        }

        if (_claims.Of(claim.Workload)?.Migration == claim.Migration)
        {
            DeferAsync(claim, _ => replyTo.Tell(new WorkloadClaimGranted(claim.Migration))); // after the claim is written
            return;
        }

        var now = _time.GetUtcNow();
        _departed.RemoveAll(d => now - d.At > _settings.SettleFor);
        var stale = _departed.FindIndex(d => wanted.SourceVfs.Contains(d.Vf));
        if (stale >= 0)
        {
            var departed = _departed[stale];
            var reason = $"source VF {departed.Vf} of workload '{claim.Workload}' left its host with migration {departed.By}, which went forward after this request read the inventory; read it again";
            _log.Info("[{Migration}] claim of {Workload} refused: {Reason}", claim.Migration, claim.Workload, reason);
            replyTo.Tell(new WorkloadClaimRefused(claim.Migration, claim.Workload, departed.By, reason, SourceMoved: true));
            return;
        }

        ExpireVfChanges(now);
        if (wanted.SourceVfs.Where(_vfChanges.ContainsKey).Select(v => (VfId?)v).FirstOrDefault() is { } changing)
        {
            replyTo.Tell(new WorkloadClaimRefused(claim.Migration, claim.Workload, null, $"VF {changing} of workload '{claim.Workload}' is being changed by an operator; try again"));
            return;
        }

        // As a reservation: applied at once (the next claim already sees it), answered once written.
        var claimed = new WorkloadClaimed(wanted.Migration, wanted.Workload, wanted.SourceVfs, now);
        Apply(claimed);
        Write(claimed, e =>
        {
            _log.Info("[{Migration}] holds workload {Workload} until it ends", e.Migration, e.Workload);
            replyTo.Tell(new WorkloadClaimGranted(e.Migration));
        });
    }

    /// <summary>
    /// Claims whose migration never got going (its coordinator died between the claim and the request's write) or
    /// ended without releasing (a lost release) are asked after, through sharding, and freed when it is unknown or terminal.
    /// </summary>
    private void OnSweep()
    {
        ExpireVfChanges(_time.GetUtcNow());
        if (_settings.Migrations is not { } migrations || migrations.IsNobody())
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var claim in _claims.All.Where(c => now - c.At >= _settings.ClaimCheckAfter && !_checking.Contains(c.Migration)))
        {
            _checking.Add(claim.Migration);
            var migration = claim.Migration;
            migrations.Ask<object>(new MigrationEnvelope(migration, CoordinatorProtocol.GetMigration.Instance), _settings.ClaimCheckTimeout)
                .PipeTo(Self, success: reply => new ClaimChecked(migration, reply), failure: _ => new ClaimChecked(migration, null));
        }
    }

    private void OnClaimChecked(ClaimChecked check)
    {
        _checking.Remove(check.Migration);
        var ended = check.Reply switch
        {
            CoordinatorProtocol.Unknown => "its coordinator has no such migration (the request was never written)",
            MigrationView { IsTerminal: true } view => $"it ended {view.State}",
            _ => null,
        };
        if (ended is null || _claims.OfMigration(check.Migration) is null)
        {
            return;
        }

        _log.Warning("[{Migration}] releasing what it holds: {Held}", check.Migration, ended);
        var released = new Released(check.Migration, _time.GetUtcNow());
        Apply(released);
        _waiters.Remove(released.Migration);
        Write(released, _ => { });
        AdmitWaiting();
    }

    // ---- Operator changes of VFs ----

    private void OnBeginVfChange(BeginVfChange change, IActorRef replyTo, bool refreshed)
    {
        var now = _time.GetUtcNow();
        ExpireVfChanges(now);
        var ledger = LedgerWithSettling();
        VfChangeRefused Refuse(int? index, MigrationId? holder, string reason) => new(change.Pf, index, holder, reason);
        int index;
        if (change.Index is int wanted)
        {
            index = wanted;
        }
        else if (change.Destroy)
        {
            replyTo.Tell(Refuse(null, null, "a VF to destroy needs its index"));
            return;
        }
        else
        {
            // The lowest index that no VF, reservation, recent release or other operator change uses: a create without an
            // index must never take a migration's target index.
            var pf = _directory.View.Inventory.FindHost(change.Pf.Host)?.Pfs.FirstOrDefault(p => p.Id == change.Pf);
            if (pf is null && !refreshed)
            {
                // The client saw the PF (its majority read) before this copy was notified of it: a host that just came
                // up, or this authority's first moments, when it is ready with the hosts of the first notification.
                // Read again before saying no, as a placement does.
                ReadAgain(change, replyTo);
                return;
            }

            if (pf is null)
            {
                replyTo.Tell(Refuse(null, null, $"PF '{change.Pf}' is not in the inventory"));
                return;
            }

            var used = pf.Vfs.Select(v => v.Id.Index).ToHashSet();
            used.UnionWith(ledger.TargetIndicesOn(pf.Id));
            used.UnionWith(_vfChanges.Keys.Where(v => v.Pf == pf.Id).Select(v => v.Index));
            var free = Enumerable.Range(0, pf.Descriptor.MaxVfs).Where(i => !used.Contains(i)).Cast<int?>().FirstOrDefault();
            if (free is not int picked)
            {
                replyTo.Tell(Refuse(null, null, $"no free VF index on PF '{pf.Id}': {used.Count} of {pf.Descriptor.MaxVfs} used, reserved by migrations or being changed"));
                return;
            }

            index = picked;
        }

        var vf = change.Pf.Vf(index);
        if (_claims.HolderOf(vf) is { } source)
        {
            replyTo.Tell(Refuse(index, source, $"VF {vf} serves workload '{_claims.OfMigration(source)?.Workload}' and is the source of migration {source}, which holds it until it ends"));
            return;
        }

        if (_ledger.TargetHolderOf(vf) is { } target)
        {
            replyTo.Tell(Refuse(index, target, $"VF {vf} is reserved as the target of migration {target}, which holds it until it ends"));
            return;
        }

        if (!change.Destroy && ledger.TargetIndicesOn(change.Pf).Contains(index))
        {
            replyTo.Tell(Refuse(index, null, $"VF index {index} on PF '{change.Pf}' was just released by a migration; the directory has not caught up yet, try again"));
            return;
        }

        if (_vfChanges.ContainsKey(vf))
        {
            replyTo.Tell(Refuse(index, null, $"VF {vf} is being changed by another request; try again"));
            return;
        }

        _vfChanges[vf] = now + _settings.VfChangeExpiry;
        _departed.RemoveAll(d => d.Vf == vf); // an operator creates (or deletes) it anew
        replyTo.Tell(new VfChangeAllowed(vf));
    }

    private void ExpireVfChanges(DateTimeOffset now)
    {
        foreach (var (vf, _) in _vfChanges.Where(kv => kv.Value <= now).ToList())
        {
            _vfChanges.Remove(vf);
        }
    }

    private LedgerHoldings Holdings()
    {
        var migrations = _ledger.All.Select(r => r.Migration)
            .Concat(_admission.Running.Select(r => r.Migration))
            .Concat(_admission.Waiting.Select(r => r.Migration))
            .Distinct()
            .Order();
        return new LedgerHoldings([.. migrations.Select(m =>
        {
            var reservations = _ledger.Of(m);
            var admission = _admission.Running.Concat(_admission.Waiting).FirstOrDefault(r => r.Migration == m);
            var hosts = reservations.Select(r => r.Vf.Host)
                .Concat(admission is null ? [] : [admission.SourceHost, admission.TargetHost])
                .Distinct()
                .Order()
                .ToList();
            return new LedgerHolding(m, hosts, reservations.Count, IsAdmitted(m));
        })]);
    }

    private void OnPlace(PlaceMigration place, IActorRef replyTo, bool refreshed)
    {
        if (_targets.TryGetValue(place.Migration, out var existing))
        {
            // After its reservation (and admission) is written, if that write is still under way.
            var admitted = IsAdmitted(place.Migration);
            DeferAsync(place, _ => replyTo.Tell(new PlacementAnswer(place.Migration, new PlacementResult(existing, []), admitted)));
            return;
        }

        // Ignore this migration's own reservations: none exist yet. Everyone else's count against free slots.
        var result = Placer.Place(place.Request, _directory.View.Inventory, LedgerWithSettling(), queueForMigrationSlots: true);
        if (result.Target is not { } target)
        {
            if (!refreshed)
            {
                // The client may have seen a host or VF this copy has not been notified of yet (subscriptions lag by
                // one notification interval, gossip by more): a named host or the source VF not found, or a target
                // host missing from the candidates altogether (CI, 2026-12-06: a migration started as soon as its
                // node's client saw three hosts was refused "SameHostAsSource" alone, the authority having been
                // notified of the source host only). A refusal ends the migration: read again before saying no.
                ReadAgain(place, replyTo);
                return;
            }

            _log.Info("[{Migration}] no target for {Workload}: {Reason}", place.Migration, place.Request.Workload, result.Explain());
            replyTo.Tell(new PlacementAnswer(place.Migration, result));
            return;
        }

        // Applied at once, answered once written: the next request already sees these reservations, and the journal
        // writes many requests' events together instead of one round trip per request (this actor serves the whole
        // cluster). A failed write stops the actor, which then recovers the journal without it; nobody was answered.
        var reserved = new Reserved(place.Migration, target, target.ReservationsFor(place.Migration), _time.GetUtcNow());
        Apply(reserved);
        Write(reserved, e => _log.Info("[{Migration}] placed {Workload} on {Host}", e.Migration, place.Request.Workload, target.Host));

        // The admission the migration asks for next, queued now: when the limits allow it at once, the grant goes into
        // the same journal write as the reservations, and the coordinator skips a round trip and a write of its own
        // (issue 16). Queued otherwise, in placement order; the coordinator's RequestAdmission then waits as before.
        // Only for a migration that holds its workload's claim: a late duplicate of an ended migration's request
        // (its claim released) must not take an admission slot that nobody would release.
        if (_claims.OfMigration(place.Migration) is not null)
        {
            QueueAdmission(target.AdmissionFor(place.Migration));
        }

        var admittedNow = IsAdmitted(place.Migration);
        DeferAsync(place, _ => replyTo.Tell(new PlacementAnswer(place.Migration, result, admittedNow))); // after both are written
    }

    private bool IsAdmitted(MigrationId migration) => _admission.Running.Any(r => r.Migration == migration);

    /// <summary>Reads the directory from every node, merges it, then handles <paramref name="request"/> again, refreshed.</summary>
    private void ReadAgain(object request, IActorRef replyTo) =>
        ReadEveryNodeAsync(DistributedData.Get(Context.System).Replicator, _settings.DirectoryReadTimeout)
            .PipeTo(Self, success: read => new Refreshed(request, replyTo, read), failure: _ => new Refreshed(request, replyTo, null));

    /// <summary>
    /// The directory from every node, or from a majority when some node does not answer. A majority read alone is not
    /// enough: a host writes its entry to a majority of the members it knows, so an entry written before the other
    /// nodes joined sits on fewer than a majority of today's members until gossip spreads it (up to ~10 s for every
    /// key). A migration requested right after the coordinators joined was rolled back, "source VF is not in the
    /// inventory", when the majority read asked the two coordinator nodes and not the hosts' own (CrashRecoveryTests,
    /// one CI run). Every node includes the one whose hosts wrote it.
    /// </summary>
    private static async Task<DirectoryRead?> ReadEveryNodeAsync(IActorRef replicator, TimeSpan timeout) =>
        await HostDirectory.ReadAsync(replicator, new ReadAll(timeout), timeout * 2).ConfigureAwait(false)
        ?? await HostDirectory.ReadAsync(replicator, new ReadMajority(timeout), timeout * 2).ConfigureAwait(false);

    private void OnAdmission(RequestAdmission request)
    {
        if (IsAdmitted(request.Migration))
        {
            var replyTo = Sender;
            DeferAsync(request, _ => replyTo.Tell(new Admitted(request.Migration))); // after the grant is written
            return;
        }

        if (_claims.OfMigration(request.Migration) is null && !_targets.ContainsKey(request.Migration))
        {
            // Neither its workload's claim nor its reservations: the migration ended (or never was placed) and this is
            // a late request, say an earlier incarnation's retry. Admitted, it would hold a slot nobody releases.
            // (Reservations alone admit: a migration placed before claims existed holds no claim.)
            _log.Warning("[{Migration}] admission asked by a migration that holds neither a claim nor reservations (ended, or a late request): not admitted", request.Migration);
            return;
        }

        _waiters[request.Migration] = Sender;
        QueueAdmission(request.Entry);
        if (_admission.PositionOf(request.Migration) is int position && !IsAdmitted(request.Migration))
        {
            Sender.Tell(new AdmissionQueued(request.Migration, position + 1)); // 1 is next, as a PF's slot queue counts
        }
    }

    /// <summary>Queues <paramref name="request"/> (once: the queue is idempotent by migration) and admits what the limits allow.</summary>
    private void QueueAdmission(AdmissionRequest request)
    {
        _askedAt.TryAdd(request.Migration, _time.GetUtcNow());
        _admission = _admission.Enqueue(request);
        AdmitWaiting();
    }

    private void AdmitWaiting()
    {
        var (next, admitted) = _admission.Admit();
        if (admitted.Count == 0)
        {
            _admission = next;
            return;
        }

        _admission = next;
        var granted = admitted.Select(id => next.Running.First(r => r.Migration == id)).ToList();
        var events = granted.Select(r => new AdmissionGranted(r, _time.GetUtcNow())).ToList();
        WriteAll(events, e =>
        {
            if (_askedAt.Remove(e.Request.Migration, out var asked))
            {
                ClusterMetrics.AdmissionWait.Record(Math.Max(0, (e.At - asked).TotalSeconds), new KeyValuePair<string, object?>(ClusterMetrics.MigrationTag, e.Request.Migration.ToString()));
            }

            if (_waiters.Remove(e.Request.Migration, out var waiter))
            {
                waiter.Tell(new Admitted(e.Request.Migration));
            }
        });
    }

    private void OnRelease(ReleaseMigration release)
    {
        _askedAt.Remove(release.Migration);
        var replyTo = Sender;
        if (!_targets.ContainsKey(release.Migration) && !_admission.Contains(release.Migration) && _ledger.Of(release.Migration).Count == 0
            && _claims.OfMigration(release.Migration) is null)
        {
            DeferAsync(release, _ => replyTo.Tell(new MigrationReleased(release.Migration))); // after a release being written
            return;
        }

        if (release.Committed && _claims.OfMigration(release.Migration) is { } claim)
        {
            // Its targets live now (a ping-pong may bring a workload back to a VF that departed seconds ago).
            var targets = _ledger.Of(release.Migration).Where(r => r.Role == ReservationRole.Target).Select(r => r.Vf).ToHashSet();
            _departed.RemoveAll(d => targets.Contains(d.Vf));
            _departed.AddRange(claim.SourceVfs.Select(v => (v, release.Migration, _time.GetUtcNow())));
        }

        // As a reservation: applied at once, answered once written; the admissions it frees are written after it.
        var released = new Released(release.Migration, _time.GetUtcNow());
        Apply(released);
        _waiters.Remove(released.Migration);
        Write(released, e => replyTo.Tell(new MigrationReleased(e.Migration)));
        AdmitWaiting();
    }

    private void Apply(Reserved e)
    {
        _targets[e.Migration] = e.Target;
        _ledger = _ledger.Add(e.Reservations);
    }

    // ---- Journal writes and snapshots ----

    /// <summary>PersistAsync, counting the writes under way: a snapshot is taken only when none is (see <see cref="MaybeSnapshot"/>).</summary>
    private void Write<TEvent>(TEvent e, Action<TEvent> handler)
        where TEvent : IPlacementEvent
    {
        _writing++;
        PersistAsync(e, written =>
        {
            Written();
            handler(written);
        });
    }

    private void WriteAll(List<AdmissionGranted> events, Action<AdmissionGranted> handler)
    {
        _writing += events.Count;
        PersistAllAsync(events, written =>
        {
            Written();
            handler(written);
        });
    }

    private void Written()
    {
        _writing--;
        MaybeSnapshot();
    }

    /// <summary>
    /// State is applied before its write is confirmed (requests share journal writes), so the state is what the journal
    /// holds only when no write is under way: only then is it a faithful snapshot at <c>LastSequenceNr</c>.
    /// </summary>
    private void MaybeSnapshot()
    {
        if (_writing > 0 || LastSequenceNr - _snapshotSequenceNr < _settings.SnapshotEvery)
        {
            return;
        }

        _snapshotSequenceNr = LastSequenceNr;
        SaveSnapshot(new LedgerSnapshot(
            [.. _claims.All.Select(c => new WorkloadClaimed(c.Migration, c.Workload, c.SourceVfs, c.At))],
            [.. _targets.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal).Select(kv => new Reserved(kv.Key, kv.Value, _ledger.Of(kv.Key), _time.GetUtcNow()))],
            [.. _admission.Running.Select(r => new AdmissionGranted(r, _time.GetUtcNow()))],
            _time.GetUtcNow()));
    }

    private void SnapshotCommands()
    {
        Command<SaveSnapshotSuccess>(saved =>
        {
            // The snapshot holds everything up to its sequence number: the events before it and older snapshots go.
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning("placement ledger snapshot not stored ({Reason}); the events stay, the next one is tried after {SnapshotEvery} more", failed.Cause.Message, _settings.SnapshotEvery));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("placement events before a snapshot not deleted ({Reason}); the next snapshot deletes them", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("old placement ledger snapshots not deleted ({Reason})", failed.Cause.Message));
    }

    private void Apply(LedgerSnapshot snapshot)
    {
        foreach (var claimed in snapshot.Claims)
        {
            Apply(claimed);
        }

        foreach (var reserved in snapshot.Reservations)
        {
            Apply(reserved);
        }

        foreach (var granted in snapshot.Admissions)
        {
            Apply(granted);
        }
    }

    private void Apply(WorkloadClaimed e) => _claims = _claims.Claim(new WorkloadClaim(e.Migration, e.Workload, e.SourceVfs, e.At));

    private void Apply(AdmissionGranted e) => _admission = _admission.Restore(e.Request);

    /// <summary>
    /// The ledger plus target VF indices of migrations that just ended but that the replicated directory does not
    /// show yet: releasing a reservation must not hand out an index whose VF the directory has not caught up with.
    /// </summary>
    private ReservationLedger LedgerWithSettling()
    {
        var now = _time.GetUtcNow();
        _settling.RemoveAll(s => now - s.ReleasedAt > _settings.SettleFor || _directory.View.Inventory.FindVf(s.Vf) is not null);
        var held = _settling.Select(s => s.Vf).Concat(_vfChanges.Keys).ToList();
        return held.Count == 0 ? _ledger : _ledger.Hold(held);
    }

    private void Apply(Released e)
    {
        foreach (var target in _ledger.Of(e.Migration).Where(r => r.Role == ReservationRole.Target))
        {
            _settling.Add((target.Vf, e.At));
        }

        _claims = _claims.Release(e.Migration);
        _targets.Remove(e.Migration);
        _ledger = _ledger.Release(e.Migration);
        _admission = _admission.Release(e.Migration);
    }

    private sealed record ClaimChecked(MigrationId Migration, object? Reply);

    private sealed record SweepClaims
    {
        public static SweepClaims Instance { get; } = new();
    }

    /// <summary>A directory read for a request: a <see cref="PlaceMigration"/> or a <see cref="BeginVfChange"/> refused for want of what the read may show, or a <see cref="QueryPlacement"/>.</summary>
    private sealed record Refreshed(object Request, IActorRef ReplyTo, DirectoryRead? Read);

    private sealed record InventoryWaitOver
    {
        public static InventoryWaitOver Instance { get; } = new();
    }
}
