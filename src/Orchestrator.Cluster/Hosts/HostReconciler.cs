using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Persistence;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Hosts.ReconcilerEvents;
using static Orchestrator.Cluster.Hosts.ReconcilerProtocol;

namespace Orchestrator.Cluster.Hosts;

/// <summary>
/// A host's reconciler (child of its <see cref="HostActor"/>): compares what the devices show with what the
/// migrations say and cleans what ENDED migrations left behind: a target VF still RESUMING, a source VF not released
/// or not resumed, a PF slot or queue entry, a placement reservation. Runs at start-up, after recoveries (a cluster
/// member removed, a migration touching this host recovered), periodically, and on demand. Decisions are the pure
/// <see cref="LeftoverRules"/>; device commands go through the PF actors, which refuse anything a live migration holds.
/// Each clean-up is persisted (<see cref="LeftoverCleaned"/>), recorded in the node's history, logged and published.
/// </summary>
/// <remarks>
/// <code>
///   Idle ──ReconcileNow / tick / trigger──► Running ──(inspect PFs, index from a majority, ledger, ask unclear
///    ▲                                        │       coordinators, decide, ask PFs / placement to clean)
///    └──── persist LeftoverCleaned*, record, reply ◄── RunFinished
/// </code>
/// </remarks>
public sealed class HostReconciler : ReceivePersistentActor, IWithTimers
{
    private const string PeriodicTimer = "periodic";
    private const string TriggerTimer = "trigger";

    private readonly HostId _host;
    private readonly IReadOnlyDictionary<PfId, IActorRef> _pfs;
    private readonly ReconcilerSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JournalWatchdog _watchdog;
    private readonly List<IActorRef> _waiters = [];
    private readonly Dictionary<MigrationId, long> _epochs = [];
    private readonly HashSet<MigrationId> _recovered = [];
    private readonly List<CleanedLeftover> _recent = [];
    private ReconcileReport? _last;
    private string? _rerun;

    public HostReconciler(HostId host, IReadOnlyDictionary<PfId, IActorRef> pfs, ReconcilerSettings settings)
    {
        _host = host;
        _pfs = pfs;
        _settings = settings;
        _watchdog = new JournalWatchdog(Context, settings.JournalTimeout, $"reconciler of {host}", "reconciler");

        Recover<LeftoverCleaned>(e => Remember(ToMessage(e)));
        Recover<RecoveryCompleted>(_ => OnRecovered());
        Idle();
    }

    public override string PersistenceId => PersistenceIdOf(_host);

    /// <summary>Set by Akka (<see cref="IWithTimers"/>).</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The reconciler's journal id: <c>reconciler-{host}</c>.</summary>
    public static string PersistenceIdOf(HostId host) => $"reconciler-{host}";

    /// <summary>A reconciler of <paramref name="host"/> over its PF actors.</summary>
    public static Props Props(HostId host, IReadOnlyDictionary<PfId, IActorRef> pfs, ReconcilerSettings settings) =>
        Akka.Actor.Props.Create(() => new HostReconciler(host, pfs, settings));

    /// <summary>
    /// The reconciler under a backoff supervisor (restarts 200 ms to 5 s apart, forever): Akka.Persistence stops an
    /// actor whose write or recovery fails, and nothing else would start it again. Messages to the supervisor go to
    /// the reconciler with their sender.
    /// </summary>
    public static Props SupervisedProps(HostId host, IReadOnlyDictionary<PfId, IActorRef> pfs, ReconcilerSettings settings) =>
        JournalBackoff.Supervise(Props(host, pfs, settings), "reconciler");

    protected override void PostStop()
    {
        _watchdog.Stop();
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    private void OnRecovered()
    {
        // Start-up: the PF actors exist (the host started them first); the first run reads the index from a majority.
        Timers.StartSingleTimer(TriggerTimer, new ReconcileNow("start-up"), _settings.StartupDelay);
        Timers.StartPeriodicTimer(PeriodicTimer, new ReconcileNow("periodic"), _settings.Interval);
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        MigrationIndex.Subscribe(DistributedData.Get(Context.System).Replicator, Self);
    }

    // ---- Behaviours ----

    private void Idle()
    {
        Common();
        Command<ReconcileNow>(now => now.DryRun, DryRun);
        Command<ReconcileNow>(now => Start(now.Trigger, IsAsker(Sender) ? [Sender] : []));
    }

    private void Running()
    {
        Common();
        Command<ReconcileNow>(now => now.DryRun, DryRun);
        Command<ReconcileNow>(now =>
        {
            // Asked by someone: the answer must reflect a run that started after the ask, so run again after this one.
            if (IsAsker(Sender))
            {
                _waiters.Add(Sender);
                _rerun ??= now.Trigger;
            }
        });
        Command<RunFinished>(OnFinished);
    }

    private void Common()
    {
        Command<GetReconcileReport>(_ => Sender.Tell(_last ?? new ReconcileReport(_host, "none", 0, [.. _recent], [], Now, "has not run yet")));
        Command<ClusterEvent.MemberRemoved>(removed =>
        {
            if (!removed.Member.Address.Equals(Akka.Cluster.Cluster.Get(Context.System).SelfAddress))
            {
                Trigger("member-removed");
            }
        });
        Command<Changed>(changed => OnIndexChanged(changed.Get(MigrationIndex.Keys[MigrationIndex.ShardOfKey(changed.Key)])));
        Command<ClusterEvent.CurrentClusterState>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("[{Host}] old clean-up events not deleted ({Reason}); the next clean-up tries again", _host, failed.Cause.Message));
    }

    private void Trigger(string why)
    {
        if (!Timers.IsTimerActive(TriggerTimer))
        {
            Timers.StartSingleTimer(TriggerTimer, new ReconcileNow(why), _settings.TriggerDelay);
        }
    }

    /// <summary>
    /// A coordinator's <c>Recover</c> raises its epoch: run shortly after, and again once such a migration ends (a
    /// recovery that rolls back leaves what the dead incarnation started).
    /// </summary>
    private void OnIndexChanged(LWWDictionary<string, MigrationView> index)
    {
        foreach (var view in index.Entries.Values.Where(Touches))
        {
            if (view.IsTerminal)
            {
                // Only live migrations are tracked, so this stays as small as what is in flight.
                _epochs.Remove(view.Id);
                if (_recovered.Remove(view.Id))
                {
                    Trigger("migration-recovered");
                }

                continue;
            }

            var seen = _epochs.TryGetValue(view.Id, out var epoch);
            _epochs[view.Id] = view.Epoch;
            if (seen && view.Epoch > epoch)
            {
                _recovered.Add(view.Id);
                Trigger("migration-recovered");
            }
        }
    }

    private bool Touches(MigrationView view) =>
        view.Source == _host || view.Target == _host || view.Vfs.Any(v => v.Source.Host == _host || v.Target.Host == _host);

    private bool IsAsker(IActorRef sender) => !sender.IsNobody() && !sender.Equals(Self) && !sender.Equals(Context.System.DeadLetters);

    // Compares beside any real run (it only reads) and answers the asker alone: no clean-up, no event, no last report.
    private void DryRun(ReconcileNow now)
    {
        var run = new Run(_host, _pfs, _settings, DistributedData.Get(Context.System).Replicator, now.Trigger, dryRun: true);
        run.ExecuteAsync().PipeTo(Sender, success: r => r.Report, failure: ex => run.Failed(ex).Report);
    }

    private void Start(string trigger, IEnumerable<IActorRef> waiters)
    {
        _waiters.AddRange(waiters);

        if (_log.IsDebugEnabled)
        {
            _log.Debug("[{Host}] reconciling ({Trigger})", _host, trigger);
        }

        var run = new Run(_host, _pfs, _settings, DistributedData.Get(Context.System).Replicator, trigger);
        run.ExecuteAsync().PipeTo(Self, success: r => new RunFinished(r.Report, r.Epochs), failure: ex => Finished(run.Failed(ex)));
        Become(Running);
    }

    private void OnFinished(RunFinished finished)
    {
        var report = finished.Report;
        var events = report.Cleaned.Select(c => new LeftoverCleaned(c.Host, c.Action, c.Pf, c.Vf, c.Migration, finished.Epochs.GetValueOrDefault(c), c.Reason, c.At)).ToList();

        // The clean-up happened on the device already; the event records it. A crash in between loses the record, not the
        // cleanliness: the next run finds nothing to clean.
        var ticket = _watchdog.Arm();
        PersistAll(events, e => Remember(ToMessage(e)));
        DeferAsync(report, r =>
        {
            _watchdog.Confirm(ticket);
            if (events.Count > 0 && LastSequenceNr > _settings.RecentKept)
            {
                // Only the last clean-ups are state (the report's recent list): the journal keeps those, no more, so
                // that it and the recovery stay bounded on a host that runs for months (issue 15).
                DeleteMessages(LastSequenceNr - _settings.RecentKept);
            }

            foreach (var cleaned in r.Cleaned)
            {
                _log.Info("[{Host}] cleaned a leftover: {Action} {Vf} of migration {Migration}: {Reason}", _host, cleaned.Action, cleaned.Vf?.ToString() ?? cleaned.Pf?.ToString() ?? "-", cleaned.Migration?.ToString() ?? "(none)", cleaned.Reason);
                _settings.Observer.LeftoverCleaned(cleaned.Host, cleaned.Action, cleaned.Pf, cleaned.Vf, cleaned.Migration, finished.Epochs.GetValueOrDefault(cleaned), cleaned.Reason);
                Context.System.EventStream.Publish(cleaned);
                ClusterMetrics.ReconcilerCleaned.Add(1, new KeyValuePair<string, object?>(ClusterMetrics.ActionTag, cleaned.Action.ToString()));
            }

            if (r.Skipped is not null)
            {
                // Start-up must not wait a whole interval because the index was not readable yet: try again soon.
                _log.Warning("[{Host}] reconcile ({Trigger}) skipped: {Reason}", _host, r.Trigger, r.Skipped);
                Trigger("retry");
            }
            else if (_log.IsDebugEnabled)
            {
                _log.Debug("[{Host}] reconciled ({Trigger}): {Checked} VF(s) checked, {Cleaned} cleaned, {Left} left alone", _host, r.Trigger, r.CheckedVfs, r.Cleaned.Count, r.Left.Count);
            }

            _last = r;
            if (_rerun is { } again)
            {
                // Someone asked during this run: answer with a run that started after the ask.
                var waiters = _waiters.ToList();
                _waiters.Clear();
                _rerun = null;
                Start(again, waiters);
                return;
            }

            foreach (var waiter in _waiters)
            {
                waiter.Tell(r);
            }

            _waiters.Clear();
            Become(Idle);
        });
    }

    private void Remember(CleanedLeftover cleaned)
    {
        _recent.Add(cleaned);
        if (_recent.Count > _settings.RecentKept)
        {
            _recent.RemoveAt(0);
        }
    }

    private static CleanedLeftover ToMessage(LeftoverCleaned e) => new(e.Host, e.Action, e.Pf, e.Vf, e.Migration, e.Reason, e.At);

    private DateTimeOffset Now => _settings.TimeProvider.GetUtcNow();

    private static RunFinished Finished(RunOutcome outcome) => new(outcome.Report, outcome.Epochs);

    private sealed record RunFinished(ReconcileReport Report, IReadOnlyDictionary<CleanedLeftover, long> Epochs);

    private sealed record RunOutcome(ReconcileReport Report, IReadOnlyDictionary<CleanedLeftover, long> Epochs);

    /// <summary>One run, off the actor's thread: it only reads what it was given and asks other actors.</summary>
    private sealed class Run(HostId host, IReadOnlyDictionary<PfId, IActorRef> pfs, ReconcilerSettings settings, IActorRef replicator, string trigger, bool dryRun = false)
    {
        private readonly List<CleanedLeftover> _cleaned = [];
        private readonly List<PlannedCleanup> _planned = [];
        private readonly Dictionary<CleanedLeftover, long> _epochs = [];
        private readonly List<LeftAlone> _left = [];

        public RunOutcome Failed(Exception ex) => Outcome(0, $"run failed: {ex.GetBaseException().Message}");

        public async Task<RunOutcome> ExecuteAsync()
        {
            var timeout = settings.AskTimeout;
            var views = new List<PfProtocol.PfLeftoverView>();
            foreach (var (pf, actor) in pfs.OrderBy(p => p.Key))
            {
                try
                {
                    views.Add(await actor.Ask<PfProtocol.PfLeftoverView>(PfProtocol.InspectLeftovers.Instance, timeout).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
                {
                    return Outcome(0, $"PF {pf} did not answer within {timeout.TotalSeconds:0.#} s");
                }
            }

            var checkedVfs = views.Sum(v => v.Vfs.Count);

            // A reconciler that cannot see the migrations does not clean: the index must be read from a majority.
            Dictionary<MigrationId, MigrationView> index;
            try
            {
                var listed = await MigrationIndex.ReadAsync(replicator, new ReadMajority(timeout), timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                index = listed.ToDictionary(v => v.Id);
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or InvalidOperationException)
            {
                return Outcome(checkedVfs, ex is InvalidOperationException ? ex.Message : "the migration index was not readable from a majority in time");
            }

            var holds = new List<ObservedHold>();
            foreach (var view in views)
            {
                holds.AddRange(view.SlotHolders.Select(m => new ObservedHold(m, LeftoverAction.FreeSlot, view.Pf, $"migration slot on {view.Pf} held")));
                holds.AddRange(view.Queued.Where(m => !view.SlotHolders.Contains(m)).Distinct().Select(m => new ObservedHold(m, LeftoverAction.FreeSlot, view.Pf, $"slot queue entry on {view.Pf} held")));
            }

            try
            {
                var ledger = await settings.Placement.Ask<PlacementProtocol.LedgerHoldings>(PlacementProtocol.GetLedger.Instance, timeout).ConfigureAwait(false);
                holds.AddRange(ledger.Holdings.Where(h => h.Hosts.Contains(host)).Select(h => new ObservedHold(
                    h.Migration,
                    LeftoverAction.ReleaseReservation,
                    null,
                    $"{h.Reservations} placement reservation(s){(h.Admitted ? " and an admission" : string.Empty)} held")));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                _left.Add(new LeftAlone(null, null, null, "the placement ledger did not answer in time; reservations not compared this run"));
            }

            var known = new Dictionary<MigrationId, KnownMigration>();
            foreach (var view in index.Values)
            {
                known[view.Id] = Known(view);
            }

            await AskUnclearAsync(index, views, holds, known).ConfigureAwait(false);

            var observed = views.SelectMany(v => v.Vfs.Select(vf => new ObservedVf(vf.Id, vf.State, vf.Workload, v.Owners.TryGetValue(vf.Id, out var owner) ? owner : null))).ToList();
            foreach (var decision in LeftoverRules.Decide(observed, holds, known))
            {
                if (!decision.IsClean)
                {
                    _left.Add(new LeftAlone(decision.Pf, decision.Vf, decision.Migration, decision.Reason));
                    continue;
                }

                if (dryRun)
                {
                    _planned.Add(new PlannedCleanup(decision.Action!.Value, decision.Pf, decision.Vf, decision.Migration, decision.Reason));
                    continue;
                }

                await CleanAsync(decision).ConfigureAwait(false);
            }

            return Outcome(checkedVfs, null);
        }

        /// <summary>
        /// A live migration whose index entry has not moved for a while may have ended without the index knowing yet:
        /// ask its coordinator. Only ids the index knows are asked, so no coordinator is ever started for an unknown id.
        /// </summary>
        private async Task AskUnclearAsync(
            Dictionary<MigrationId, MigrationView> index,
            List<PfProtocol.PfLeftoverView> views,
            List<ObservedHold> holds,
            Dictionary<MigrationId, KnownMigration> known)
        {
            var here = views.SelectMany(v => v.Owners.Values).Concat(holds.Select(h => h.Migration)).ToHashSet();
            var now = settings.TimeProvider.GetUtcNow();
            foreach (var view in index.Values.Where(v => !v.IsTerminal && now - v.UpdatedAt > settings.UnclearAfter))
            {
                if (!here.Contains(view.Id) && !view.Vfs.Any(p => p.Source.Host == host || p.Target.Host == host))
                {
                    continue;
                }

                try
                {
                    var answer = await settings.Migrations.Ask<object>(new MigrationEnvelope(view.Id, CoordinatorProtocol.GetMigration.Instance), settings.AskTimeout).ConfigureAwait(false);
                    if (answer is MigrationView fresh)
                    {
                        known[view.Id] = Known(fresh);
                    }
                }
                catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
                {
                    // Unanswered: it stays live as the index says, and nothing it holds is touched.
                }
            }
        }

        private async Task CleanAsync(LeftoverDecision decision)
        {
            var at = settings.TimeProvider.GetUtcNow();
            var ticket = decision.Migration is { } m ? new MigrationTicket(m, Epoch.Of(decision.Epoch ?? 0)) : null;
            try
            {
                if (decision.Action == LeftoverAction.ReleaseReservation)
                {
                    await settings.Placement.Ask<PlacementProtocol.MigrationReleased>(new PlacementProtocol.ReleaseMigration(decision.Migration!.Value), settings.AskTimeout).ConfigureAwait(false);
                    Add(new CleanedLeftover(host, LeftoverAction.ReleaseReservation, null, null, decision.Migration, decision.Reason, at), decision.Epoch);
                    return;
                }

                if (decision.Pf is not { } pf || !pfs.TryGetValue(pf, out var actor))
                {
                    _left.Add(new LeftAlone(decision.Pf, decision.Vf, decision.Migration, $"no PF actor for {decision.Pf}; {decision.Reason}"));
                    return;
                }

                var reply = await actor.Ask<object>(new PfProtocol.ReconcileLeftover(decision.Action!.Value, ticket, decision.Vf, decision.ExpectedState, decision.Reason), settings.AskTimeout).ConfigureAwait(false);
                switch (reply)
                {
                    case PfProtocol.LeftoverReconciled done:
                        Add(new CleanedLeftover(host, done.Action, pf, done.Vf, done.Migration, decision.Reason, at), decision.Epoch);
                        if (done.SlotFreed && done.Action != LeftoverAction.FreeSlot)
                        {
                            Add(new CleanedLeftover(host, LeftoverAction.FreeSlot, pf, null, done.Migration, $"migration slot on {pf} held by {done.Migration}, freed with its last VF", at), decision.Epoch);
                        }

                        break;
                    case PfProtocol.LeftoverRefused { NothingToDo: true }:
                        break; // Cleaned meanwhile (by a slot freed with its VF, or by the migration itself).
                    case PfProtocol.LeftoverRefused refused:
                        _left.Add(new LeftAlone(pf, decision.Vf, decision.Migration, "the PF refused: " + refused.Reason));
                        break;
                }
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                _left.Add(new LeftAlone(decision.Pf, decision.Vf, decision.Migration, $"no answer within {settings.AskTimeout.TotalSeconds:0.#} s to {decision.Action}; {decision.Reason}"));
            }
        }

        private void Add(CleanedLeftover cleaned, long? epoch)
        {
            _cleaned.Add(cleaned);
            if (epoch is { } e)
            {
                _epochs[cleaned] = e;
            }
        }

        private RunOutcome Outcome(int checkedVfs, string? skipped) =>
            new(new ReconcileReport(host, trigger, checkedVfs, [.. _cleaned], [.. _left], settings.TimeProvider.GetUtcNow(), skipped, dryRun ? [.. _planned] : null), _epochs);

        private static KnownMigration Known(MigrationView view) => new(
            view.Id,
            view.Workload,
            view.State,
            view.Epoch,
            [.. view.Vfs.Select(v => (v.Source, v.Target))],
            view.UpdatedAt);
    }
}
