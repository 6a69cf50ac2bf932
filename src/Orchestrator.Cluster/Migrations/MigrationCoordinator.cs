using System.Diagnostics;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Persistence;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Telemetry;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using static Orchestrator.Cluster.Migrations.CoordinatorProtocol;
using static Orchestrator.Cluster.Pfs.PfProtocol;
using static Orchestrator.Domain.Migrations.MigrationActions;
using static Orchestrator.Domain.Migrations.MigrationCommands;

namespace Orchestrator.Cluster.Migrations;

/// <summary>
/// One migration: a sharded, event-sourced entity that drives source and target PFs through the protocol of
/// DESIGN.md §4. A thin loop over the domain: command → <c>Decide</c> → persist events → <c>Apply</c> → execute
/// <c>NextAction</c> → the device outcome comes back as the next command. Every event is persisted before the
/// step it enables is sent, so when this node dies, sharding restarts the coordinator elsewhere, it replays its
/// journal, advances the epoch (<c>Recover</c>: PF actors fence the old incarnation) and re-issues its next action.
/// </summary>
/// <remarks>
/// <code>
///  client ──StartMigration──► Decide ──events──► Persist ──► Apply ──► NextAction ──► PF actors / placement
///     ▲                                                                                    │
///     └──────────── MigrationView ◄── index ◄── Decide(Record*/ReportStepFailed) ◄─────────┘
/// </code>
/// </remarks>
public sealed class MigrationCoordinator : ReceivePersistentActor, IWithTimers
{
    private const string TickTimer = "tick";
    private const string StepTimer = "step-timeout";
    private const string RetryTimer = "retry";
    private const string PassivateTimer = "passivate";
    private const string ResendTimer = "resend";
    private const string ClaimTimer = "claim";

    private readonly MigrationId _id;
    private readonly CoordinatorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<VfId, TargetVfOffer> _offers = [];
    private readonly Dictionary<VfId, VfChecksum> _sourceChecksums = [];
    private readonly JournalWatchdog _journalWatchdog;
    private MigrationState _state;
    private readonly DirectoryCache _directory = DirectoryCache.Get(Context.System);
    private Flight? _flight;
    private Activity? _stepSpan; // the trace span of the step in flight (null when nothing exports traces)
    private string? _traceParent; // the start's span, parent of the step spans while this incarnation lives
    private DateTimeOffset? _stoppedAt;
    private int? _queuePosition;
    private bool _admittedWithPlacement; // the grant was written with the reservations; memory only: a recovered coordinator asks
    private (MigrationPhase State, long Epoch) _lastReported;
    private long _bytesMetered; // what this incarnation counted in ClusterMetrics.MigrationTransferred
    private PendingClaim? _claim;

    // Measured on this migration's own steps, for the control part of the downtime prediction: how long a checkpoint
    // takes to be written, and what a PF step costs beyond the PF's own work (hops, mailboxes, serialization).
    private readonly RecentTimes _checkpointWrites = new();
    private readonly RecentTimes _stepOverheads = new();
    private TimeSpan _targetLoadLatency; // the target PFs' measured load + start, from their PrepareTarget answers

    public MigrationCoordinator(MigrationId id, CoordinatorSettings settings)
    {
        _id = id;
        _settings = settings;
        _state = MigrationState.Empty(id);
        _journalWatchdog = new JournalWatchdog(Context, settings.JournalTimeout, $"migration {id}", "migration");

        Recover<IMigrationEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<StartMigration>(OnStart);
        Command<GetMigration>(_ => Sender.Tell(ViewOrUnknown()));
        Command<AbortMigration>(a => Decide(new Abort(_id, a.Reason), Sender));
        Command<WithdrawMigration>(OnWithdraw);
        Command<Switchover>(s => Decide(s.Force ? new ForceSwitchover(_id) : new StartSwitchover(_id), Sender));
        Command<ChangeMigrationPolicy>(p => Decide(new ChangePolicy(_id, p.DowntimeLimit, p.BandwidthCapBytesPerSecond, p.ClearBandwidthCap), Sender));
        Command<IPfStepReply>(OnPfReply);
        Command<PlacementProtocol.PlacementAnswer>(OnPlacement);
        Command<PlacementProtocol.Admitted>(a =>
        {
            _queuePosition = null; // out of the admission queue: no longer Queued
            Complete(MigrationStep.Admission, new RecordAdmitted(_id, _state.Epoch));
        });
        Command<PlacementProtocol.AdmissionQueued>(q =>
        {
            _queuePosition = q.Position;
            PublishView(); // Queued, and where, is what a scheduler reads while it waits
        });
        Command<PlacementProtocol.WorkloadClaimGranted>(OnClaimGranted);
        Command<PlacementProtocol.WorkloadClaimRefused>(OnClaimRefused);
        Command<ClaimTimedOut>(_ => OnClaimTimedOut());
        Command<PlacementProtocol.MigrationReleased>(_ => Complete(MigrationStep.ReleaseReservations, new RecordReservationsReleased(_id, _state.Epoch)));
        Command<TickDue>(_ => OnTick());
        Command<StepTimedOut>(OnStepTimeout);
        Command<Proceed>(_ => Execute());
        Command<ResendUnreached>(_ => SendUnsent());
        Command<RetryNow>(_ =>
        {
            _flight = null;
            Execute();
        });
        Command<Passivate>(_ =>
        {
            // Only an idle coordinator passivates: one that never started, or one that ended. A late timer must never
            // stop a migration in flight (nothing would restart it until someone asked after it).
            if (_state.Phase == MigrationPhase.New || _state.IsTerminal)
            {
                Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
            }
            else
            {
                _log.Warning("[{Migration}] ignored a passivation request in {Phase}", _id, _state.Phase);
            }
        });
    }

    public override string PersistenceId => PersistenceIdOf(_id);

    public ITimerScheduler Timers { get; set; } = null!;

    public static string PersistenceIdOf(MigrationId id) => PersistenceIdPrefix + id;

    /// <summary>What every coordinator's persistence id starts with.</summary>
    public const string PersistenceIdPrefix = "migration-";

    public static Props Props(MigrationId id, CoordinatorSettings settings) =>
        Akka.Actor.Props.Create(() => new MigrationCoordinator(id, settings));

    protected override void PostStop()
    {
        if (_state.Phase != MigrationPhase.New && !_state.IsTerminal)
        {
            _log.Warning("[{Migration}] coordinator stopped in {Phase} at epoch {Epoch}; the next message or the keeper starts it again", _id, _state.Phase, _state.Epoch);
        }

        _journalWatchdog.Stop();
        MigrationTracing.End(_stepSpan, _state.IsTerminal ? null : "coordinator stopped");
        base.PostStop();
    }

    private DateTimeOffset Now => _settings.TimeProvider.GetUtcNow();

    // ---- Recovery ----

    private void OnRecovered()
    {
        if (_state.Phase == MigrationPhase.New)
        {
            // Started by a query for an id nobody created, or by the StartMigration that follows: passivate soon
            // unless it starts, so that a wrong id does not stay a remembered entity forever.
            Timers.StartSingleTimer(PassivateTimer, Passivate.Instance, _settings.PassivateUnstarted);
            return;
        }

        _bytesMetered = View().Progress.BytesTransferred; // the incarnation before this one counted those
        if (_state.IsTerminal)
        {
            PublishView();
            SchedulePassivation();
            return;
        }

        // A new incarnation: advance the epoch before anything else, so PF actors fence the old one.
        _log.Info("[{Migration}] recovering in {Phase} at epoch {Epoch}", _id, _state.Phase, _state.Epoch);
        Decide(new Recover(_id), ActorRefs.Nobody);
    }

    // ---- Client commands ----

    private void OnStart(StartMigration start)
    {
        Timers.Cancel(PassivateTimer);
        _traceParent ??= start.TraceParent;
        if (_state.Withdrawn)
        {
            // A start that arrives after the id was withdrawn (its caller gave up waiting for it): it never runs.
            Sender.Tell(new Rejected(_id, RejectedCodes.Withdrawn, _state.Decide(start.Request, Now).Reason));
            return;
        }

        if (_state.Phase != MigrationPhase.New)
        {
            // The same id again: idempotent, answer what exists (the API compares the request body).
            Sender.Tell(View());
            return;
        }

        if (_claim is { } pending)
        {
            // The same id while its claim is asked: answered together (a request with another body is the API's 409).
            pending.ReplyTo.Add(Sender);
            return;
        }

        // Checked first, so that a request the domain refuses never holds the workload.
        var dryRun = _state.Decide(start.Request, Now);
        if (!dryRun.Accepted)
        {
            Sender.Tell(new Rejected(_id, dryRun.Code?.ToString() ?? "Rejected", dryRun.Reason));
            return;
        }

        // One migration per workload, cluster-wide: the placement authority holds the workload for this migration before
        // the request is written, and refuses any other migration of it until this one ends.
        _claim = new PendingClaim(start.Request, [Sender]);
        _settings.Placement.Tell(new PlacementProtocol.ClaimWorkload(_id, start.Request.Workload, start.Request.SourceVfs));
        Timers.StartSingleTimer(ClaimTimer, ClaimTimedOut.Instance, _settings.ClaimTimeout);
    }

    /// <summary>
    /// Whether a refused operator command asked for what is already so: an abort of a migration rolling or rolled back,
    /// a switchover of one that has switched over (and goes forward).
    /// </summary>
    private bool AlreadyDone(IMigrationCommand command, RejectionCode? code) => command switch
    {
        Abort => _state.Phase is MigrationPhase.RollingBack or MigrationPhase.RolledBack,
        StartSwitchover or ForceSwitchover => code is RejectionCode.Duplicate || _state.Phase == MigrationPhase.Completed,
        _ => false,
    };

    private void OnWithdraw(WithdrawMigration withdraw)
    {
        if (_state.Phase != MigrationPhase.New)
        {
            Sender.Tell(View()); // requested before the withdrawal: the caller aborts it, or it has ended
            return;
        }

        if (_claim is not null)
        {
            // A start is deciding right now; its outcome (requested, or refused and still New) is known in a moment.
            Sender.Tell(new Rejected(_id, RejectedCodes.Unavailable, $"migration '{_id}' is being started (its claim on the workload is asked); ask again"));
            return;
        }

        Timers.Cancel(PassivateTimer);
        Decide(new Withdraw(_id, withdraw.Workload, withdraw.Reason), Sender);
    }

    private void OnClaimGranted(PlacementProtocol.WorkloadClaimGranted granted)
    {
        if (_claim is not { } pending || granted.Migration != _id)
        {
            return;
        }

        _claim = null;
        Timers.Cancel(ClaimTimer);
        Decide(pending.Request, pending.ReplyTo[0]);
        if (pending.ReplyTo.Count > 1)
        {
            // After the request is written (Decide persists it): before that this id still answers Unknown, and a second
            // start of it (a client's retry, an evacuation job's restart) took that for "does not exist" and gave up.
            DeferAsync(pending.ReplyTo.Skip(1).ToList(), others =>
            {
                foreach (var other in others)
                {
                    other.Tell(ViewOrUnknown());
                }
            });
        }
    }

    private void OnClaimRefused(PlacementProtocol.WorkloadClaimRefused refused)
    {
        if (_claim is not { } pending || refused.Migration != _id)
        {
            return;
        }

        _claim = null;
        Timers.Cancel(ClaimTimer);
        _log.Info("[{Migration}] not started: {Reason}", _id, refused.Reason);
        foreach (var replyTo in pending.ReplyTo)
        {
            replyTo.Tell(new Rejected(_id, refused.SourceMoved ? RejectedCodes.SourceMoved : RejectedCodes.WorkloadBusy, refused.Reason));
        }

        Timers.StartSingleTimer(PassivateTimer, Passivate.Instance, _settings.PassivateUnstarted);
    }

    private void OnClaimTimedOut()
    {
        if (_claim is not { } pending)
        {
            return;
        }

        // The authority is moving or restarting. Nothing was written here: the caller may simply ask again (a claim that
        // was written after all is this migration's, and granted again; otherwise the authority's sweep frees it).
        _claim = null;
        foreach (var replyTo in pending.ReplyTo)
        {
            replyTo.Tell(new Rejected(_id, RejectedCodes.Unavailable, $"the placement authority did not answer within {_settings.ClaimTimeout.TotalSeconds:0.#} s; try again"));
        }

        Timers.StartSingleTimer(PassivateTimer, Passivate.Instance, _settings.PassivateUnstarted);
    }

    private object ViewOrUnknown() => _state.Phase == MigrationPhase.New ? new Unknown(_id) : View();

    private MigrationView View() => MigrationView.From(_state, Now, _queuePosition, Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString());

    // ---- The loop ----

    private void Decide(IMigrationCommand command, IActorRef replyTo)
    {
        if (_state.Phase == MigrationPhase.New && command is Abort or StartSwitchover or ForceSwitchover or ChangePolicy)
        {
            replyTo.Tell(new Unknown(_id)); // an operator's command for a migration never requested: 404, not 409
            return;
        }

        var result = _state.Decide(command, Now);
        if (!result.Accepted && AlreadyDone(command, result.Code))
        {
            // An operator's command repeated (a retried DELETE or switchover whose first answer was lost): what it asks
            // for holds already, so it is answered as a success with the migration as it is, not as a conflict.
            replyTo.Tell(View());
            return;
        }

        if (!result.Accepted)
        {
            if (_log.IsDebugEnabled)
            {
                _log.Debug("[{Migration}] {Command} rejected: {Reason}", _id, command.GetType().Name, result.Reason);
            }

            replyTo.Tell(new Rejected(_id, result.Code?.ToString() ?? "Rejected", result.Reason));
            return;
        }

        if (result.Events.Count == 0)
        {
            replyTo.Tell(ViewOrUnknown());
            return;
        }

        var events = result.Events;
        var retried = result.Events.OfType<MigrationEvents.StepRetried>().LastOrDefault();
        void Then()
        {
            foreach (var e in result.Events)
            {
                LogEvent(e);
            }

            var view = View(); // once: the metrics, the index and the caller read the same record
            ClusterMetrics.RecordMigration(view, ended: result.Events.Any(e => e is MigrationEvents.MigrationCompleted or MigrationEvents.MigrationRolledBack or MigrationEvents.MigrationFailed), ref _bytesMetered);
            PublishView(view);
            replyTo.Tell(view);
            if (result.Events.Any(e => e is MigrationEvents.MigrationFailed))
            {
                // Failed ends without a ReleaseReservations step: free what it held now. Fire and forget: the authority's
                // sweep of terminal migrations frees it too if this message is lost.
                _settings.Placement.Tell(new PlacementProtocol.ReleaseMigration(_id));
            }

            if (retried is not null)
            {
                // After Committed a failed step is retried forward, with backoff.
                _flight = null;
                Timers.StartSingleTimer(RetryTimer, RetryNow.Instance, _state.Policy.RetryDelay(retried.Attempt));
                return;
            }

            // Not Execute() here: this may run inside a persist handler, and a step can persist at once (Commit, or
            // a failure); a persist nested in a DeferAsync handler left the actor deaf after one more message
            // (akka/akka#23781; the stall on issue 5). The next step starts from a message of its own.
            Self.Tell(Proceed.Instance);
        }

        if (events.Any(e => e is ICheckpointEvent))
        {
            // A checkpoint: written (with any events queued before it, in order) before the step it enables is sent.
            var write = _journalWatchdog.Arm();
            var writing = _settings.TimeProvider.GetTimestamp();
            PersistAll(events, e => _state = _state.Apply(e));
            DeferAsync(command, _ =>
            {
                _journalWatchdog.Confirm(write);
                _checkpointWrites.Add(_settings.TimeProvider.GetElapsedTime(writing));
                Then();
            });
            return;
        }

        // No checkpoint (admitted, state transferred, target loaded, target running, a pre-copy round, a retry):
        // DESIGN.md §4 lets these be written lazily. Act now and let the write follow; the journal keeps this actor's
        // order, so the next checkpoint is never stored without them, and losing them in a crash only replays the
        // migration from its last checkpoint, as a crash a moment earlier would.
        foreach (var e in events)
        {
            _state = _state.Apply(e);
        }

        PersistAllAsync(events, _ => { });
        Then();
    }

    private void Execute()
    {
        EnsureTicking();
        var action = _state.NextAction();
        var key = new FlightKey(action.Step, action.Epoch, action is ContinuePreCopy next ? next.Round : 0);
        if (_flight?.Key == key)
        {
            return; // Already in flight: its answer will move us on.
        }

        _flight = null;
        Timers.Cancel(StepTimer);
        Timers.Cancel(RetryTimer);
        Timers.Cancel(ResendTimer);
        var ticket = new MigrationTicket(_id, action.Epoch);
        switch (action)
        {
            case Done done:
                if (done.Reason is null)
                {
                    _log.Info("[{Migration}] {Outcome} at epoch {Epoch}", _id, done.Outcome, action.Epoch);
                }
                else
                {
                    _log.Info("[{Migration}] {Outcome} at epoch {Epoch}: {Reason}", _id, done.Outcome, action.Epoch, done.Reason);
                }

                _stepSpan?.SetTag(MigrationTracing.OutcomeAttribute, done.Outcome.ToString());
                MigrationTracing.End(_stepSpan);
                _stepSpan = null;
                Timers.Cancel(TickTimer);
                SchedulePassivation();
                return;
            case None none:
                if (_log.IsDebugEnabled)
                {
                    _log.Debug("[{Migration}] waiting: {Reason}", _id, none.Why);
                }

                return;
            case Place place:
                Start(key);
                _settings.Placement.Tell(new PlacementProtocol.PlaceMigration(_id, place.Request));
                return;
            case AwaitAdmission admission:
                Start(key);
                if (_admittedWithPlacement)
                {
                    // The authority wrote the grant with the reservations before it answered the placement.
                    _admittedWithPlacement = false;
                    Self.Tell(new PlacementProtocol.Admitted(_id));
                    return;
                }

                _settings.Placement.Tell(new PlacementProtocol.RequestAdmission(_id, admission.SourceHost, admission.TargetHost, admission.SourcePfs, admission.TargetPfs));
                Timers.StartSingleTimer(RetryTimer, RetryNow.Instance, _settings.RetryInterval * 4);
                return;
            case ReleaseReservations:
                Start(key);
                _settings.Placement.Tell(new PlacementProtocol.ReleaseMigration(_id, MigrationProtocol.IsCommitted(_state.Phase)));
                return;
            case Commit:
                Decide(new RecordCommit(_id, action.Epoch), ActorRefs.Nobody);
                return;
            case PrepareTarget prepare:
                SendToPfs(key, prepare.Vfs.GroupBy(v => v.Target.Pf), g => new PrepareTargetCommand(ticket, [.. g.Select(v => new TargetVfSpec(v.Source, v.Target, v.Kind, v.Profile, _state.Workload))]));
                return;
            case StartPreCopy pre:
                if (!HaveOffers(pre.Vfs))
                {
                    return;
                }

                SendToPfs(key, pre.Vfs.GroupBy(v => v.Source.Pf), g => new StartPreCopyCommand(ticket, OffersFor(g), _state.Policy.BandwidthCapBytesPerSecond ?? 0));
                return;
            case ContinuePreCopy round:
                SendToPfs(key, round.Vfs.GroupBy(v => v.Source.Pf), _ => new PreCopyRoundCommand(ticket, round.Round, _state.Policy.BandwidthCapBytesPerSecond ?? 0));
                return;
            case QuiesceSources quiesce:
                SendToPfs(key, quiesce.Vfs.GroupBy(v => v.Source.Pf), _ => new QuiesceSourcesCommand(ticket));
                return;
            case StopAndCopy stop:
                if (!HaveOffers(stop.Vfs))
                {
                    return;
                }

                SendToPfs(key, stop.Vfs.GroupBy(v => v.Source.Pf), g => new StopAndCopyCommand(ticket, OffersFor(g)));
                return;
            case LoadTarget load:
                SendToPfs(key, load.Vfs.GroupBy(v => v.Target.Pf), _ => new LoadTargetCommand(ticket));
                return;
            case StartTarget start:
                SendToPfs(key, start.Vfs.GroupBy(v => v.Target.Pf), g => new StartTargetCommand(ticket, [.. g.Select(v => v.Target)]));
                return;
            case ReleaseSource release:
                SendToPfs(key, release.Vfs.GroupBy(v => v.Source.Pf), g => new ReleaseSourceCommand(ticket, [.. g.Select(v => v.Source)]));
                return;
            case ResumeSource resume:
                SendToPfs(key, resume.Vfs.GroupBy(v => v.Source.Pf), g => new ResumeSourceCommand(ticket, [.. g.Select(v => v.Source)]));
                return;
            case DestroyTarget destroy:
                SendToPfs(key, destroy.Vfs.GroupBy(v => v.Target.Pf), g => new DestroyTargetCommand(ticket, [.. g.Select(v => v.Target)], _state.Workload));
                return;
            default:
                _log.Error("[{Migration}] no executor for action {Action}", _id, action.GetType().Name);
                return;
        }
    }

    private bool HaveOffers(IReadOnlyList<VfPlacement> vfs)
    {
        if (vfs.All(v => _offers.ContainsKey(v.Source)))
        {
            return true;
        }

        // Offers live in memory only (a token must not be persisted). Without them the stream cannot be set up:
        // fail the step, which rolls back before Committed.
        Decide(new ReportStepFailed(_id, _state.CurrentStep, _state.Epoch, "the target's state-stream offers were lost (coordinator restarted)"), ActorRefs.Nobody);
        return false;
    }

    private IReadOnlyList<TargetVfOffer> OffersFor(IEnumerable<VfPlacement> vfs) => [.. vfs.Select(v => _offers[v.Source])];

    private void SendToPfs(FlightKey key, IEnumerable<IGrouping<PfId, VfPlacement>> groups, Func<IGrouping<PfId, VfPlacement>, IPfStepCommand> build)
    {
        var flight = Start(key);
        foreach (var group in groups)
        {
            flight.Expected[group.Key] = build(group);
        }

        SendUnsent();
    }

    /// <summary>
    /// Sends the flight's commands to the PFs the directory knows now. A PF whose host is not in the directory (node
    /// down or not joined yet) is tried again shortly, within the same flight: the step timeout, started once for the
    /// step, decides when waiting becomes a failure (a retry that restarted the step restarted its timeout too, and a
    /// step waiting on a host that never came back waited forever).
    /// </summary>
    private void SendUnsent()
    {
        if (_flight is not { } flight)
        {
            return;
        }

        var waiting = new List<PfId>();
        foreach (var (pfId, command) in flight.Expected)
        {
            if (flight.Sent.Contains(pfId))
            {
                continue;
            }

            if (_directory.PfRef(pfId) is not { } pf)
            {
                waiting.Add(pfId);
                continue;
            }

            pf.Tell(_stepSpan?.Id is { } span ? new Traced(command, span) : command);
            flight.Sent.Add(pfId);
        }

        if (waiting.Count > 0)
        {
            if (!flight.Warned)
            {
                flight.Warned = true;
                _log.Warning("[{Migration}] PF {Pf} is not reachable now; waiting up to the step timeout", _id, string.Join(", ", waiting));
            }

            Timers.StartSingleTimer(ResendTimer, ResendUnreached.Instance, _settings.RetryInterval);
        }
    }

    private Flight Start(FlightKey key)
    {
        var flight = new Flight(key, _settings.TimeProvider.GetTimestamp());
        _flight = flight;
        MigrationTracing.End(_stepSpan); // the step before it, whatever ended it, is over
        _stepSpan = MigrationTracing.Start("step " + key.Step, _id, key.Epoch, _traceParent);
        _stepSpan?.SetTag(MigrationTracing.StepAttribute, key.Step.ToString());
        if (key.Round > 0)
        {
            _stepSpan?.SetTag(MigrationTracing.RoundAttribute, key.Round);
        }

        Timers.StartSingleTimer(StepTimer, new StepTimedOut(key), _settings.StepTimeout);
        return flight;
    }

    private void OnPfReply(IPfStepReply reply)
    {
        if (reply.Ticket.Migration != _id || reply.Ticket.Epoch != _state.Epoch || _flight is not { } flight)
        {
            return; // An answer for an older incarnation or a finished step.
        }

        var pf = flight.Expected.FirstOrDefault(kv => kv.Value.Step == reply.Step && _directory.PfRef(kv.Key)?.Equals(Sender) == true).Key;
        switch (reply)
        {
            case StepFencedReply fenced:
                _log.Error("[{Migration}] PF fenced our epoch {Epoch}: epoch {CurrentEpoch} exists; stopping this stale incarnation", _id, _state.Epoch, fenced.CurrentEpoch);
                Context.Stop(Self);
                return;
            case StepQueuedReply queued:
                _queuePosition = queued.Position;
                Timers.StartSingleTimer(StepTimer, new StepTimedOut(flight.Key), _settings.StepTimeout); // Waiting in a queue is not a stall.
                PublishView();
                return;
            case StepFailedReply failed:
                _stepSpan?.SetStatus(ActivityStatusCode.Error, failed.Reason);
                _flight = null;
                var fault = failed.Errno == Devices.Contract.VfioErrno.ENOENT ? StepFault.VfMissing : StepFault.Other;
                Decide(new ReportStepFailed(_id, flight.Key.Step, _state.Epoch, failed.Reason, fault), ActorRefs.Nobody);
                return;
        }

        if (pf.Host.Value is null || !flight.Expected.ContainsKey(pf))
        {
            // Sender not matched by ref (e.g. the directory changed): match by step alone when one PF is expected.
            if (flight.Expected.Count == 1 && flight.Expected.Values.First().Step == reply.Step)
            {
                pf = flight.Expected.Keys.First();
            }
            else
            {
                return;
            }
        }

        flight.Replies[pf] = reply;
        _queuePosition = null;
        if (flight.Replies.Count < flight.Expected.Count)
        {
            return;
        }

        var replies = flight.Replies.Values.ToList();
        switch (flight.Key.Step)
        {
            case MigrationStep.PrepareTarget:
                foreach (var offer in replies.OfType<PrepareTargetReply>().SelectMany(r => r.Offers))
                {
                    _offers[offer.Source] = offer;
                }

                _targetLoadLatency = replies.OfType<PrepareTargetReply>().Select(r => r.LoadLatency).DefaultIfEmpty().Max();

                Complete(flight.Key.Step, new RecordTargetPrepared(_id, _state.Epoch));
                break;
            case MigrationStep.StartPreCopy:
                Complete(flight.Key.Step, new RecordPreCopyStarted(_id, _state.Epoch, replies.OfType<StartPreCopyReply>().Sum(r => r.StopCopyBytes)));
                break;
            case MigrationStep.PreCopyRound:
                var rounds = replies.OfType<PreCopyRoundReply>().ToList();
                _stepOverheads.Add(_settings.TimeProvider.GetElapsedTime(flight.StartedAt) - rounds.Max(r => r.Elapsed));
                Complete(flight.Key.Step, new RecordPreCopyRound(
                    _id,
                    _state.Epoch,
                    flight.Key.Round,
                    rounds.Sum(r => r.BytesTransferred),
                    rounds.Sum(r => r.BytesRemaining),
                    rounds.Sum(r => r.DirtyBytesPerSecond),
                    rounds.Sum(r => r.BandwidthBytesPerSecond),
                    // A multi-VF migration quiesces every source before the first stops: outside the window.
                    rounds.Max(r => r.StopLatency) + (_state.IsMultiVf ? TimeSpan.Zero : rounds.Max(r => r.QuiesceLatency)),
                    _targetLoadLatency,
                    TargetReady: rounds.All(r => r.TargetReady),
                    SwitchoverOverhead: SwitchoverOverhead()));
                break;
            case MigrationStep.QuiesceSources:
                Complete(flight.Key.Step, new RecordSourcesQuiesced(_id, _state.Epoch));
                break;
            case MigrationStep.StopAndCopy:
                var transferred = replies.OfType<StopAndCopyReply>().ToList();
                foreach (var c in transferred.SelectMany(t => t.Checksums))
                {
                    _sourceChecksums[c.Vf] = c;
                }

                _stoppedAt = transferred.Min(t => t.StoppedAt);
                Complete(flight.Key.Step, new RecordStateTransferred(
                    _id,
                    _state.Epoch,
                    transferred.Sum(t => t.BytesTransferred),
                    string.Join(",", transferred.SelectMany(t => t.Checksums).OrderBy(c => c.Vf).Select(c => c.Checksum))));
                break;
            case MigrationStep.LoadTarget:
                var mismatch = ChecksumMismatch(replies.OfType<LoadTargetReply>().SelectMany(r => r.Checksums));
                Complete(flight.Key.Step, mismatch is null
                    ? new RecordTargetLoaded(_id, _state.Epoch)
                    : new ReportStepFailed(_id, MigrationStep.LoadTarget, _state.Epoch, mismatch));
                break;
            case MigrationStep.StartTarget:
                var startedAt = replies.OfType<StartTargetReply>().Max(r => r.At);
                var reset = replies.OfType<StartTargetReply>().SelectMany(r => r.ResetVfs ?? []).ToList();
                Complete(flight.Key.Step, reset.Count == 0
                    ? new RecordTargetRunning(_id, _state.Epoch, _stoppedAt is { } stopped ? startedAt - stopped : null)
                    : new ReportStepFailed(_id, MigrationStep.StartTarget, _state.Epoch,
                        $"target VF {string.Join(", ", reset)} had to be reset out of ERROR to run: it runs with fresh device state, not the migrated state", StepFault.DeviceStateLost));
                break;
            case MigrationStep.ReleaseSource:
                Complete(flight.Key.Step, new RecordSourceReleased(_id, _state.Epoch));
                break;
            case MigrationStep.ResumeSource:
                foreach (var vf in replies.OfType<ResumeSourceReply>().SelectMany(r => r.ResetVfs ?? []))
                {
                    _log.Warning("[{Migration}] source VF {Vf} was reset out of ERROR to run again: its device state is fresh", _id, vf);
                }

                Complete(flight.Key.Step, new RecordSourceResumed(_id, _state.Epoch));
                break;
            case MigrationStep.DestroyTarget:
                Complete(flight.Key.Step, new RecordTargetDestroyed(_id, _state.Epoch));
                break;
        }
    }

    /// <summary>
    /// The control part of the window between the source's stop and the target's start: the stop-copy answer and the
    /// load step are two PF round trips, and the commit checkpoint is written before the start is sent (the start
    /// command's own hop is about the answer's half of the stop-copy trip).
    /// </summary>
    private TimeSpan SwitchoverOverhead() => (2 * _stepOverheads.Median) + _checkpointWrites.Median;

    private string? ChecksumMismatch(IEnumerable<VfChecksum> loaded)
    {
        foreach (var target in loaded)
        {
            var pair = _state.Vfs.FirstOrDefault(v => v.Target == target.Vf);
            if (pair is null || !_sourceChecksums.TryGetValue(pair.Source, out var source))
            {
                continue; // Saved by an earlier incarnation: the device validated the stream's own checksum.
            }

            if (source.Checksum != target.Checksum || source.Bytes != target.Bytes)
            {
                return $"state of {pair.Source} -> {pair.Target} differs: source {source.Bytes} B {source.Checksum}, target {target.Bytes} B {target.Checksum}";
            }
        }

        return null;
    }

    private void OnPlacement(PlacementProtocol.PlacementAnswer answer)
    {
        if (_flight?.Key.Step != MigrationStep.Place)
        {
            return;
        }

        _admittedWithPlacement = answer.Admitted && answer.Result.Target is not null;
        Complete(MigrationStep.Place, answer.Result.Target is { } target
            ? new RecordPlacement(_id, _state.Epoch, target)
            : new ReportStepFailed(_id, MigrationStep.Place, _state.Epoch, "no compatible target: " + answer.Result.Explain()));
    }

    private void Complete(MigrationStep step, IMigrationCommand next)
    {
        if (_flight?.Key.Step != step)
        {
            return;
        }

        Timers.Cancel(StepTimer);
        Decide(next, ActorRefs.Nobody);
    }

    private void OnStepTimeout(StepTimedOut timeout)
    {
        if (_flight?.Key != timeout.Key)
        {
            return;
        }

        var missing = string.Join(", ", _flight.Expected.Keys.Except(_flight.Replies.Keys));
        _stepSpan?.SetStatus(ActivityStatusCode.Error, "step timed out");
        _flight = null;
        Decide(new ReportStepFailed(_id, timeout.Key.Step, _state.Epoch, $"no answer within {_settings.StepTimeout.TotalSeconds:0.#} s{(missing.Length > 0 ? " from " + missing : string.Empty)}"), ActorRefs.Nobody);
    }

    private void OnTick()
    {
        if (_state.IsTerminal || _state.Phase == MigrationPhase.New)
        {
            Timers.Cancel(TickTimer);
            return;
        }

        var result = _state.Decide(new Tick(_id), Now);
        if (result.Accepted && result.Events.Count > 0)
        {
            _flight = null;
            Decide(new Tick(_id), ActorRefs.Nobody);
        }
    }


    private void EnsureTicking()
    {
        if (!Timers.IsTimerActive(TickTimer) && !_state.IsTerminal)
        {
            Timers.StartPeriodicTimer(TickTimer, TickDue.Instance, _settings.TickInterval);
        }
    }

    private void SchedulePassivation() => Timers.StartSingleTimer(PassivateTimer, Passivate.Instance, _settings.PassivateAfterEnd);

    private void PublishView(MigrationView? view = null)
    {
        view ??= View();
        // A withdrawn id never ran: no protocol state for the history or the metrics, only the tombstone in the index.
        if ((view.State, view.Epoch) != _lastReported && !_state.Withdrawn)
        {
            _lastReported = (view.State, view.Epoch);
            _settings.OnStateChanged?.Invoke(view);
        }

        var replicator = DistributedData.Get(Context.System).Replicator;
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        replicator.Tell(Dsl.Update(MigrationIndex.KeyOf(_id), LWWDictionary<string, MigrationView>.Empty, WriteLocal.Instance, d => d.SetItem(self, _id.ToString(), view)));
        Context.System.EventStream.Publish(view);
    }

    private void LogEvent(IMigrationEvent e)
    {
        switch (e)
        {
            case MigrationEvents.PreCopyRoundRecorded r:
                if (_log.IsDebugEnabled)
                {
                    _log.Debug("[{Migration}] pre-copy round {Round}: {BytesSent} B sent, {BytesLeft} B left, predicted downtime {PredictedDowntimeMs:0.0} ms", _id, r.Sample.Round, r.Sample.BytesTransferred, r.Sample.BytesRemaining, r.Sample.PredictedDowntime.TotalMilliseconds);
                }

                break;
            case MigrationEvents.SwitchoverStarted sw:
                // Why it switches over, with the prediction's parts: what a user compares the downtime with.
                _log.Info("[{Migration}] SwitchoverStarted (epoch {Epoch}, {SwitchoverReason}): {Detail}", _id, _state.Epoch, sw.Reason, sw.Detail);
                break;
            case MigrationEvents.TargetStarted started:
                _log.Info("[{Migration}] TargetStarted (epoch {Epoch}): downtime {DowntimeMs:0.0} ms", _id, _state.Epoch, started.Downtime.TotalMilliseconds);
                break;
            case MigrationEvents.RollbackStarted rb:
                _log.Warning("[{Migration}] rolling back from {Phase} at epoch {Epoch}: {Reason}", _id, rb.FromPhase, _state.Epoch, rb.Reason);
                break;
            case MigrationEvents.MigrationFailed failed:
                _log.Error("[{Migration}] failed ({Code}) in {Phase} at epoch {Epoch}, step {Step}: {Reason}", _id, failed.Code, failed.FromPhase, _state.Epoch, failed.Step, failed.Reason);
                break;
            case MigrationEvents.StepRetried retry:
                _log.Warning("[{Migration}] retrying {Step} at epoch {Epoch} (attempt {Attempt}): {Reason}", _id, retry.Step, _state.Epoch, retry.Attempt, retry.Reason);
                break;
            default:
                _log.Info("[{Migration}] {Event} (epoch {Epoch})", _id, e.GetType().Name, _state.Epoch);
                break;
        }
    }

    /// <summary>A request waiting for its workload claim, and everyone who sent it.</summary>
    private sealed record PendingClaim(MigrationCommands.RequestMigration Request, List<IActorRef> ReplyTo);

    private sealed record ClaimTimedOut
    {
        public static ClaimTimedOut Instance { get; } = new();
    }

    private sealed record FlightKey(MigrationStep Step, Epoch Epoch, int Round);

    /// <summary>One step in flight: what each PF was (or is still to be) sent, and what came back.</summary>
    private sealed class Flight(FlightKey key, long startedAt)
    {
        public FlightKey Key { get; } = key;

        /// <summary>When the step was started (a timestamp of the coordinator's clock).</summary>
        public long StartedAt { get; } = startedAt;

        public Dictionary<PfId, IPfStepCommand> Expected { get; } = [];

        public Dictionary<PfId, IPfStepReply> Replies { get; } = [];

        public HashSet<PfId> Sent { get; } = [];

        public bool Warned { get; set; }
    }

    private sealed record TickDue
    {
        public static TickDue Instance { get; } = new();
    }

    private sealed record StepTimedOut(FlightKey Key);

    private sealed record Proceed
    {
        public static Proceed Instance { get; } = new();
    }

    private sealed record ResendUnreached
    {
        public static ResendUnreached Instance { get; } = new();
    }

    private sealed record RetryNow
    {
        public static RetryNow Instance { get; } = new();
    }

    private sealed record Passivate
    {
        public static Passivate Instance { get; } = new();
    }
}
