using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Orchestrator.Cluster.Tracing;
using Orchestrator.Cluster.Vfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Pfs;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The supervisor of one PF's VFs and the only actor that talks to its driver. Runs every device step of the
/// migrations that touch this PF, one step per migration at a time, with each VF's device commands serialized
/// (<see cref="PfDeviceLane"/>). Admits at most the driver's migration limit at once and queues the rest FIFO.
/// Fences commands from an older epoch of a migration; the same (migration, epoch, step) twice answers the same reply.
/// Those rules live in the PF's <see cref="PfLedger{TReply}"/> (pure, bounded); this actor runs what it decides, and
/// the ledger outlives the actor's restarts (<see cref="PfLedgerHolder"/>), so fencing does too.
/// </summary>
/// <remarks>
/// <code>
///   command ──fenced?──► StepFencedReply            (older epoch: the device is not touched)
///      │ same step+epoch done? ──► cached reply   (idempotent)
///      │ slot needed and none free ──► queue ──► StepQueuedReply(position)
///      ▼
///   running (one per migration) ──PipeTo──► StepFinished ──► sync VF actors, publish snapshot, reply, next
/// </code>
/// A step that moves a workload or creates or destroys VFs (prepare, start and destroy target, resume and release
/// source), and a VF command, is answered only once the host has written the snapshot after it to a majority of the
/// directory (<see cref="WriteDirectory"/>), or that write timed out: whoever hears the answer, and whoever hears of it
/// from them, reads the change with a majority read (DESIGN invariant 7). Later replies of the same migration wait
/// behind it, so each migration's replies keep their order.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in PostStop, as actors are.")]
public sealed class PfActor : UntypedActor, IWithTimers
{
    private const string DirectoryTimer = "directory";

    private static readonly PfStep PrepareTargetStep = new(MigrationStep.PrepareTarget);
    private readonly PfId _id;
    private readonly PfDeviceLane _lane;
    private readonly PfActorSettings _settings;
    private readonly IDeviceObserver _observer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, IActorRef> _vfActors = [];
    private readonly TraceParents _traceParents = new();
    private readonly Dictionary<int, VfioDeviceState> _lastStates = [];
    private readonly Dictionary<int, WorkloadId?> _workloads;
    private readonly Dictionary<MigrationId, InFlight> _running = [];
    private readonly Dictionary<MigrationId, (IPfStepCommand Command, IActorRef Sender)> _pending = [];
    private readonly Dictionary<MigrationId, (IPfStepCommand Command, IActorRef Sender)> _queued = []; // the ledger keeps their order
    private readonly Dictionary<MigrationId, SourceSession> _sources = [];
    private readonly Dictionary<MigrationId, TargetSession> _targets = [];
    private readonly List<HeldReply> _held = []; // replies waiting for their directory write, in the order they are told
    private long _directoryWrites; // sequence of the last WriteDirectory sent to the host
    private long _directoryWritten; // every write up to this one is answered (written, or given up on)
    private readonly PfLedgerHolder _ledger;
    private readonly KeyedCreates _keyedCreates = new();

    public PfActor(PfId id, IPfDriver driver, IReadOnlyDictionary<int, WorkloadId> workloads, PfActorSettings settings, IDeviceObserver observer, PfLedgerHolder ledger)
    {
        _id = id;
        _lane = new PfDeviceLane(driver, (index, from, to, cause) => observer.VfStateChanged(id.Vf(index), WorkloadOf(index), from, to, cause), settings.TimeProvider, ledger.Arcs);
        _settings = settings;
        _observer = observer;
        _workloads = workloads.ToDictionary(kv => kv.Key, kv => (WorkloadId?)kv.Value);
        _ledger = ledger;
        Ledger = Ledger.Restarted(); // What ran or waited died with an earlier incarnation; epochs, holders and replies stay.
    }

    /// <summary>
    /// One ledger per Props: a supervisor restart builds the new incarnation from the same Props, so it gets the ledger
    /// the old one left, and a command of an epoch older than one seen before the restart is still fenced.
    /// </summary>
    public static Props Props(PfId id, IPfDriver driver, IReadOnlyDictionary<int, WorkloadId> workloads, PfActorSettings settings, IDeviceObserver observer)
    {
        var ledger = new PfLedgerHolder(new PfLedger<IPfStepReply>(id, driver.Descriptor.MaxConcurrentMigrations, settings.Ledger));
        return Akka.Actor.Props.Create(() => new PfActor(id, driver, workloads, settings, observer, ledger));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private PfLedger<IPfStepReply> Ledger
    {
        get => _ledger.Ledger;
        set => _ledger.Ledger = value;
    }

    protected override void PreStart()
    {
        _observer.PfStarted(_id);
        foreach (var migration in Ledger.SlotHolders.Keys)
        {
            // PfStarted says an actor starts with no slot; after an in-place restart the ledger still holds these.
            _observer.SlotChanged(_id, migration, acquired: true);
        }

        SyncVfs(null);
        Publish();
    }

    protected override void PostStop()
    {
        foreach (var flight in _running.Values)
        {
            flight.Cancellation.Cancel();
            MigrationTracing.End(flight.Span, "the PF actor stopped");
        }

        foreach (var session in _sources.Values)
        {
            _ = session.DisposeAsync().AsTask();
        }

        foreach (var session in _targets.Values)
        {
            _ = session.DisposeAsync().AsTask();
        }

        _lane.Dispose();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case IPfStepCommand command:
                Handle(command, Sender);
                break;
            case Traced traced:
                _traceParents.Remember(traced.Command.Ticket.Migration, traced.TraceParent);
                Handle(traced.Command, Sender);
                break;
            case StepFinished finished:
                OnStepFinished(finished);
                break;
            case CreateVf create:
                OnCreateVf(create);
                break;
            case DestroyVf destroy:
                OnDestroyVf(destroy);
                break;
            case VfCommandDone done:
                done.Apply?.Invoke(); // Actor state changes on the actor's thread, never in a PipeTo continuation.
                SyncVfs(null);
                PublishThenAnswer(null, [done.ReplyTo, .. _keyedCreates.End(done.RequestKey, done.Reply)], done.Reply);
                break;
            case DirectoryWritten written:
                OnDirectoryWritten(written.Sequence, written.Majority ? null : "no majority of the directory answered in time");
                break;
            case DirectoryOverdue overdue:
                OnDirectoryWritten(overdue.Sequence, "the host did not confirm the directory write");
                break;
            case GetPfStatus:
                Sender.Tell(Report());
                break;
            case VfProtocol.GetVfStatus status when _vfActors.TryGetValue(status.Index, out var vf):
                vf.Forward(status);
                break;
            case VfProtocol.GetVfStatus status:
                Sender.Tell(new VfCommandFailed($"VF {_id.Vf(status.Index)} does not exist"));
                break;
            case VfProtocol.Restarted restarted when _vfActors.TryGetValue(restarted.Index, out var vf):
                ReobserveVf(restarted.Index, vf);
                break;
            case InspectLeftovers:
                OnInspectLeftovers();
                break;
            case ReconcileLeftover reconcile:
                OnReconcileLeftover(reconcile);
                break;
            case LeftoverDone done:
                OnLeftoverDone(done);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---- Migration commands ----

    private void Handle(IPfStepCommand command, IActorRef sender)
    {
        var (migration, epoch) = (command.Ticket.Migration, command.Ticket.Epoch);
        var now = _settings.TimeProvider.GetUtcNow();
        var described = Describe(command);
        var decision = Ledger.Decide(described, now);
        if (decision.Verdict == PfVerdict.Fence)
        {
            _log.Warning("[{Migration}] fenced {Step} from epoch {Epoch}: {Reason}", migration, command.Step, epoch, decision.Reason);
            _observer.CommandFenced(_id, command.Ticket, command.Step.ToString(), decision.CurrentEpoch);
            sender.Tell(new StepFencedReply(command.Ticket, command.Step, decision.CurrentEpoch));
            return;
        }

        Ledger = Ledger.Apply(described, decision, now);
        if (_running.TryGetValue(migration, out var stale) && stale.Ticket.Epoch < epoch)
        {
            // A newer incarnation of the coordinator took over: what the old one started stops now.
            stale.Cancellation.Cancel();
        }

        switch (decision.Verdict)
        {
            case PfVerdict.Replay:
                Answer(migration, sender, decision.Reply!);
                return;
            case PfVerdict.Refuse:
                // Another migration's VF is never this one's target: refuse before touching anything (the rollback that
                // follows destroys nothing of it either).
                _log.Warning("[{Migration}] refused {Step} on {Pf}: {Reason}", migration, command.Step, _id, decision.Reason);
                sender.Tell(new StepFailedReply(command.Ticket, command.Step, decision.Reason));
                return;
        }

        // The ledger holds its VFs from the first command that names them, queued or not: from here on neither a DELETE
        // nor a create without an index takes them.
        Label(command);
        switch (decision.Verdict)
        {
            case PfVerdict.Wait when decision.Joins:
                _running[migration].Waiters.Add(sender);
                break;
            case PfVerdict.Wait:
                var flight = _running[migration];
                if (command is ResumeSourceCommand or DestroyTargetCommand)
                {
                    // Rolling back: a forward step still running (a hung device command, a stalled stream) must
                    // not hold the rollback hostage. Cancel it; the rollback runs when it has unwound.
                    _log.Warning("[{Migration}] cancelling {Step} on {Pf} to roll back", migration, flight.Step, _id);
                    flight.Cancellation.Cancel();
                }

                _pending[migration] = (command, sender);
                break;
            case PfVerdict.Queue:
                _queued[migration] = (command, sender);
                _log.Info("[{Migration}] waits for {Slots} migration slot(s) on {Pf} (position {Position}, limit {Limit})", migration, described.Slots, _id, decision.Position, Ledger.SlotLimit);
                sender.Tell(new StepQueuedReply(command.Ticket, command.Step, decision.Position));
                Publish();
                break;
            default:
                if (decision.TakesSlots > 0)
                {
                    _observer.SlotChanged(_id, migration, acquired: true);
                }

                Start(command, sender);
                break;
        }
    }

    /// <summary>What the ledger needs of <paramref name="command"/>: its side, the VFs it names here, the slots it needs.</summary>
    private PfCommand Describe(IPfStepCommand command)
    {
        var (migration, epoch, step) = (command.Ticket.Migration, command.Ticket.Epoch, command.Step);
        return command switch
        {
            // Migration slots count VFs, as firmware does (RHEL: at most 4 VFs of a CX-7 PF at once, one VM with 4 or 4
            // VMs with one). Commands that open device sessions need one per VF; the others none.
            PrepareTargetCommand prepare => new(migration, epoch, step, PfSide.Target, [.. prepare.Vfs.Select(v => v.Target.Index)], PfClaimMode.RefuseIfHeld, prepare.Vfs.Count),
            StartPreCopyCommand pre => new(migration, epoch, step, PfSide.Source, [.. pre.Offers.Select(o => o.Source.Index)], Slots: pre.Offers.Count),
            StopAndCopyCommand stop => new(migration, epoch, step, PfSide.Source, [.. stop.Offers.Select(o => o.Source.Index)], Slots: stop.Offers.Count),
            // After a PF actor restart the rollback or the release may be the first command that names the sources.
            ResumeSourceCommand resume => new(migration, epoch, step, PfSide.Source, OnThisPf(resume.Sources)),
            ReleaseSourceCommand release => new(migration, epoch, step, PfSide.Source, OnThisPf(release.Sources)),
            LoadTargetCommand or StartTargetCommand or DestroyTargetCommand => new(migration, epoch, step, PfSide.Target, []),
            _ => new(migration, epoch, step, PfSide.Source, []),
        };

        int[] OnThisPf(IReadOnlyList<VfId> vfs) => [.. vfs.Where(v => v.Pf == _id).Select(v => v.Index)];
    }

    private void Start(IPfStepCommand command, IActorRef sender)
    {
        var migration = command.Ticket.Migration;
        var span = MigrationTracing.Start("pf " + command.Step, migration, command.Ticket.Epoch, _traceParents.Of(migration));
        span?.SetTag(MigrationTracing.PfAttribute, _id.ToString());
        span?.SetTag(MigrationTracing.StepAttribute, command.Step.ToString());
        var flight = new InFlight(command.Ticket, command.Step, new CancellationTokenSource(), [sender], span);
        _running[migration] = flight;
        Label(command); // idempotent; a command admitted from the slot queue labels what it is about to create again
        var ct = flight.Cancellation.Token;
        RunAsync(command, span?.Id, ct).PipeTo(
            Self,
            success: reply => new StepFinished(flight, command, reply),
            failure: ex => new StepFinished(flight, command, new StepFailedReply(command.Ticket, command.Step, Describe(ex), (Unwrap(ex) as VfioException)?.Errno)));
    }

    private Task<IPfStepReply> RunAsync(IPfStepCommand command, string? traceParent, CancellationToken ct)
    {
        // Sessions are actor state: find or create them here, on the actor's thread. The step itself then runs on the
        // thread pool: device commands and the state stream hash and copy synchronously for long stretches, and the
        // actor must keep answering other migrations, rollbacks and status queries meanwhile.
        Func<Task<IPfStepReply>> step = command switch
        {
            PrepareTargetCommand prepare => Bind(TargetFor(prepare.Ticket), s => s.PrepareAsync(prepare.Vfs, ct)),
            LoadTargetCommand => Bind(TargetFor(command.Ticket), s => s.LoadAsync(ct)),
            StartTargetCommand start => Bind(TargetFor(start.Ticket), s => s.StartAsync(start.Targets, ct)),
            DestroyTargetCommand destroy => Bind(TargetFor(destroy.Ticket), DestroyStep(destroy, ct)),
            StartPreCopyCommand pre => Bind(SourceFor(pre.Ticket), s => s.StartPreCopyAsync(pre.Offers, pre.BandwidthBytesPerSecond, traceParent, ct)),
            PreCopyRoundCommand round => Bind(SourceFor(round.Ticket), s => s.RunRoundAsync(round.Round, round.BandwidthBytesPerSecond, ct)),
            QuiesceSourcesCommand => Bind(SourceFor(command.Ticket), s => s.QuiesceAsync(ct)),
            StopAndCopyCommand stop => Bind(SourceFor(stop.Ticket), s => s.StopAndCopyAsync(stop.Offers, traceParent, ct)),
            ResumeSourceCommand resume => Bind(SourceFor(resume.Ticket), s => s.ResumeAsync(resume.Sources, ct)),
            ReleaseSourceCommand release => Bind(SourceFor(release.Ticket), s => s.ReleaseAsync(Destroyable(release.Ticket.Migration, release.Sources), ct)),
            _ => () => Task.FromException<IPfStepReply>(new InvalidOperationException($"unknown command {command.GetType().Name}")),
        };
        return Task.Run(step, CancellationToken.None);

        // What the target destroy judges by is actor state: read it here, not on the thread pool.
        Func<TargetSession, Task<DestroyTargetReply>> DestroyStep(DestroyTargetCommand destroy, CancellationToken token)
        {
            var labels = destroy.Targets.Select(t => t.Index).Distinct().ToDictionary(i => i, WorkloadOf);
            var foreign = Ledger.HeldByOthers(destroy.Ticket.Migration).ToHashSet();
            return s => s.DestroyAsync(destroy.Targets, destroy.Workload, labels, foreign, token);
        }

        // A source on another PF, or one another migration holds, is not this release's to destroy (invariant 6).
        IReadOnlyList<VfId> Destroyable(MigrationId migration, IReadOnlyList<VfId> sources) =>
            [.. sources.Where(v => v.Pf == _id && Ledger.MayDestroy(v.Index, migration))];

        static Func<Task<IPfStepReply>> Bind<TSession, TReply>(TSession session, Func<TSession, Task<TReply>> run)
            where TReply : IPfStepReply => async () => await run(session).ConfigureAwait(false);
    }

    private void OnStepFinished(StepFinished finished)
    {
        var (command, reply) = (finished.Command, finished.Reply);
        var migration = command.Ticket.Migration;
        if (_running.TryGetValue(migration, out var current) && current != finished.Flight)
        {
            // Started by an earlier incarnation of this actor (cancelled as it stopped): the step running now answers.
            _log.Info("[{Migration}] {Step} of an earlier PF actor on {Pf} ended: {Reply}", migration, command.Step, _id, reply.GetType().Name);
            return;
        }

        _running.Remove(migration, out var flight);
        EndSpan(finished.Flight.Span, reply);
        if (reply is StepFailedReply failed)
        {
            _log.Warning("[{Migration}] {Step} failed on {Pf}: {Reason}", migration, command.Step, _id, failed.Reason);
            if (command is PrepareTargetCommand prepare)
            {
                Unlabel(prepare);
            }
        }

        Observe(command, reply);
        var ended = EndedSide(reply);
        if (ended is { } side)
        {
            DisposeSession(migration, side);
        }

        // A failure is not an answer to keep: the coordinator's retry of the same step must run it again.
        Ledger = Ledger.Finish(
            migration, command.Step, command.Ticket.Epoch, reply is StepFailedReply ? null : reply, ended, _settings.TimeProvider.GetUtcNow(),
            out var freed, out var admitted, out var fenced);
        if (freed)
        {
            _observer.SlotChanged(_id, migration, acquired: false);
        }

        StartAdmitted(admitted, fenced);
        SyncVfs(command.Ticket);
        var waiters = flight?.Waiters ?? [];
        if (ChangesDirectory(command))
        {
            PublishThenAnswer(migration, waiters, reply);
        }
        else
        {
            Publish();
            foreach (var waiter in waiters)
            {
                Answer(migration, waiter, reply);
            }
        }

        if (_pending.Remove(migration, out var next))
        {
            Handle(next.Command, next.Sender);
        }
    }

    /// <summary>
    /// A failed prepare gives back the labels its claim put on VFs it did not create: a VF that appeared at a target
    /// index meanwhile (behind the PF's back) and runs is not the workload's, and must not read as its copy.
    /// </summary>
    private void Unlabel(PrepareTargetCommand prepare)
    {
        var session = _targets.GetValueOrDefault(prepare.Ticket.Migration);
        var present = _lane.Driver.ListVfs().ToDictionary(v => v.Index, v => v.State);
        foreach (var spec in prepare.Vfs)
        {
            var index = spec.Target.Index;
            if (session?.Created(index) != true && WorkloadOf(index) == spec.Workload
                && present.TryGetValue(index, out var state) && !TargetSession.IsPreparedState(state))
            {
                _log.Warning("[{Migration}] VF {Vf} is {State} and was not created by this migration: it does not serve {Workload}", prepare.Ticket.Migration, spec.Target, state.Name(), spec.Workload);
                SetWorkload(index, null);
            }
        }
    }

    private void DisposeSession(MigrationId migration, PfSide side)
    {
        if (side == PfSide.Target && _targets.Remove(migration, out var target))
        {
            _ = target.DisposeAsync().AsTask();
        }

        if (side == PfSide.Source && _sources.Remove(migration, out var source))
        {
            _ = source.DisposeAsync().AsTask();
        }
    }

    /// <summary>Starts what the ledger admitted from the slot queue; answers what it dropped there as fenced.</summary>
    private void StartAdmitted(IReadOnlyList<PfCommand> admitted, IReadOnlyList<PfCommand> fenced)
    {
        foreach (var stale in fenced)
        {
            if (_queued.Remove(stale.Migration, out var queued))
            {
                var current = Ledger.EpochOf(stale.Migration) ?? stale.Epoch;
                _log.Warning("[{Migration}] fenced queued {Step} from epoch {Epoch}; current epoch is {CurrentEpoch}", stale.Migration, stale.Step, stale.Epoch, current);
                _observer.CommandFenced(_id, queued.Command.Ticket, queued.Command.Step.ToString(), current);
                queued.Sender.Tell(new StepFencedReply(queued.Command.Ticket, queued.Command.Step, current));
            }
        }

        foreach (var next in admitted)
        {
            _observer.SlotChanged(_id, next.Migration, acquired: true);
            if (_queued.Remove(next.Migration, out var queued))
            {
                _log.Info("[{Migration}] admitted to a migration slot on {Pf}", next.Migration, _id);
                Start(queued.Command, queued.Sender);
            }
        }
    }

    /// <summary>Steps after which a workload runs elsewhere or a VF was created or destroyed (failed ones too: they may have).</summary>
    private static bool ChangesDirectory(IPfStepCommand command) =>
        command is PrepareTargetCommand or StartTargetCommand or DestroyTargetCommand or ResumeSourceCommand or ReleaseSourceCommand;

    /// <summary>The side whose device session the reply ends, or null.</summary>
    private static PfSide? EndedSide(IPfStepReply reply) => reply switch
    {
        DestroyTargetReply or StartTargetReply => PfSide.Target,
        ResumeSourceReply or ReleaseSourceReply => PfSide.Source,
        _ => null,
    };

    /// <summary>
    /// A prepare labels its targets before they exist, so that their history lines name the workload; a VF already there
    /// is someone else's (the create will fail) and keeps its own label.
    /// </summary>
    private void Label(IPfStepCommand command)
    {
        if (command is not PrepareTargetCommand prepare)
        {
            return;
        }

        var present = _lane.Driver.ListVfs().Select(v => v.Index).ToHashSet();
        foreach (var vf in prepare.Vfs)
        {
            if (!present.Contains(vf.Target.Index) && !Ledger.IsReserved(vf.Target.Index))
            {
                SetWorkload(vf.Target.Index, vf.Workload);
            }
        }
    }

    private TargetSession TargetFor(MigrationTicket ticket)
    {
        if (!_targets.TryGetValue(ticket.Migration, out var session))
        {
            session = new TargetSession(ticket, _lane, _settings, _log);
            _targets[ticket.Migration] = session;
        }

        session.Advance(ticket);
        return session;
    }

    private SourceSession SourceFor(MigrationTicket ticket)
    {
        if (!_sources.TryGetValue(ticket.Migration, out var session))
        {
            session = new SourceSession(ticket, _lane, _settings);
            _sources[ticket.Migration] = session;
        }

        session.Advance(ticket);
        return session;
    }

    private void Observe(IPfStepCommand command, IPfStepReply reply)
    {
        switch (reply)
        {
            case StopAndCopyReply transferred:
                foreach (var c in transferred.Checksums)
                {
                    _observer.StateSaved(command.Ticket, c);
                }

                break;
            case LoadTargetReply loaded:
                foreach (var c in loaded.Checksums)
                {
                    _observer.StateLoaded(command.Ticket, c);
                }

                break;
        }
    }

    // ---- VF life cycle ----

    private void OnCreateVf(CreateVf create)
    {
        var replyTo = Sender;
        var keyed = _keyedCreates.Begin(create, replyTo);
        if (!keyed.ShouldRun)
        {
            if (keyed.Reply is { } answer)
            {
                replyTo.Tell(answer);
            }

            return; // else it waits for the same key's creation in flight
        }

        void Answer(object reply)
        {
            _keyedCreates.End(create.RequestKey, reply); // no one waits yet: this answer is synchronous
            replyTo.Tell(reply);
        }

        var present = _lane.Driver.ListVfs();
        var existing = create.Index is int wanted ? present.FirstOrDefault(v => v.Index == wanted) : null;
        if (existing is not null && create.RequestedIndex is null)
        {
            // The placement authority picked this index from a directory that did not show the VF yet: it is not this
            // request's VF however alike it is (the same request again comes with its key, answered above).
            Answer(new VfCommandFailed($"VF {_id.Vf(existing.Index)} exists already: the index picked for this create was taken meanwhile; try again", IsConflict: true));
            return;
        }

        if (existing is not null)
        {
            var same = existing.Kind == create.Kind && existing.Profile == create.Profile && _workloads.GetValueOrDefault(existing.Index) == create.Workload;
            Answer(same
                ? new CreateVfReply(_id.Vf(existing.Index), existing.Kind, existing.Profile, create.Workload)
                : new VfCommandFailed($"VF {_id.Vf(existing.Index)} exists already with kind {existing.Kind}, profile '{existing.Profile}'", IsConflict: true));
            return;
        }

        if (create.Index is int asked && (Ledger.OwnerOf(asked) is not null || Ledger.IsReserved(asked)))
        {
            Answer(new VfCommandFailed(
                Ledger.IsReserved(asked)
                    ? $"VF {_id.Vf(asked)} is being created by another request"
                    : $"VF index {asked} on PF {_id} is held by migration {Ledger.OwnerOf(asked)!.Migration}",
                IsConflict: true));
            return;
        }

        // Without an index the PF picks it, not the driver: the driver's lowest free index may be a migration's target.
        var index = create.Index ?? Ledger.FreeIndex(_lane.Driver.Descriptor.MaxVfs, present.Select(v => v.Index), create.AvoidIndices);
        if (index is not { } chosen)
        {
            Answer(new VfCommandFailed(
                $"PF {_id} has no free VF index: {present.Count} of {_lane.Driver.Descriptor.MaxVfs} exist, held by migrations: [{string.Join(", ", Ledger.Owners.Keys.Order())}], avoided: [{string.Join(", ", create.AvoidIndices ?? [])}]",
                IsConflict: true));
            return;
        }

        // Reserved in the ledger, which an in-place restart keeps: the create's answer still releases it then.
        Ledger = Ledger.Reserve(chosen);
        _lane.RunAsync(chosen, d => d.CreateVfAsync(create.Kind, create.Profile, chosen, CancellationToken.None), CancellationToken.None)
            .PipeTo(
                Self,
                success: vf => new VfCommandDone(
                    replyTo,
                    new CreateVfReply(_id.Vf(vf.Index), vf.Kind, vf.Profile, create.Workload),
                    () =>
                    {
                        Ledger = Ledger.Unreserve(chosen);
                        SetWorkload(vf.Index, create.Workload);
                    },
                    create.RequestKey),
                failure: ex => new VfCommandDone(
                    replyTo,
                    new VfCommandFailed(
                        $"create VF on {_id} with kind {create.Kind}, profile '{create.Profile}': {Describe(ex)}",
                        IsConflict: Unwrap(ex) is VfioException { Errno: VfioErrno.EBUSY }),
                    () => Ledger = Ledger.Unreserve(chosen),
                    create.RequestKey));
    }

    private void OnDestroyVf(DestroyVf destroy)
    {
        var replyTo = Sender;
        if (destroy.Vf.Pf != _id)
        {
            replyTo.Tell(new VfCommandFailed($"VF {destroy.Vf} is not on PF {_id}"));
            return;
        }

        var index = destroy.Vf.Index;
        var workload = WorkloadOf(index);
        if (Ledger.OwnerOf(index) is { } owner)
        {
            // Never, forced or not: the migration's rollback or release is what destroys it, and only if it created it.
            replyTo.Tell(new VfCommandFailed(
                $"VF {destroy.Vf} is held by migration {owner.Migration} (workload {workload?.ToString() ?? "(none)"}); force does not override a migration",
                IsConflict: true));
            return;
        }

        if (workload is { } serves && !destroy.Force)
        {
            replyTo.Tell(new VfCommandFailed($"VF {destroy.Vf} serves workload {serves}; destroy it with force=true", IsConflict: true));
            return;
        }

        if (workload is not null)
        {
            _log.Warning("[{Vf}] forced delete of a VF that serves workload {Workload}", destroy.Vf, workload);
        }

        _lane.DestroyAsync(index, null, CancellationToken.None).PipeTo(
            Self,
            success: () => new VfCommandDone(replyTo, new DestroyVfReply(destroy.Vf), () => SetWorkload(index, null)),
            failure: ex => new VfCommandDone(replyTo, new VfCommandFailed($"destroy VF {destroy.Vf}: {Describe(ex)}")));
    }

    // ---- Host reconciler ----

    private void OnInspectLeftovers()
    {
        // Re-read first: a VF that changed behind the PF's back (a fault, a restart) must be seen, and recorded, as it is.
        SyncVfs(null);
        Publish();
        var report = Report();
        Sender.Tell(new PfLeftoverView(
            _id,
            report.Inventory.Vfs,
            report.VfMigrations,
            [.. Ledger.SlotHolders.Keys],
            [.. Ledger.Queue.Select(q => q.Migration)]));
    }

    private void OnReconcileLeftover(ReconcileLeftover command)
    {
        var replyTo = Sender;
        if (RefusalOf(command) is { } refusal)
        {
            if (!refusal.NothingToDo)
            {
                _log.Warning("[{Migration}] reconciler: {Action} of {Vf} on {Pf} refused: {Reason}", command.Ticket?.Migration.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, refusal.Reason);
            }

            replyTo.Tell(refusal);
            return;
        }

        var migration = command.Ticket?.Migration;
        _log.Info("[{Migration}] reconciler: {Action} {Vf} on {Pf}: {Reason}", migration?.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, command.Reason);
        if (migration is { } ended)
        {
            // Only ended migrations are reconciled (terminal is final); nothing of theirs may run here again.
            Ledger = Ledger.Clean(ended, _settings.TimeProvider.GetUtcNow());
        }

        if (command.Action == LeftoverAction.FreeSlot)
        {
            Ledger = Ledger.Dequeue(migration!.Value, out var dropped);
            foreach (var waiting in dropped)
            {
                if (_queued.Remove(waiting.Migration, out var queued))
                {
                    queued.Sender.Tell(new StepFailedReply(queued.Command.Ticket, queued.Command.Step, "dropped from the slot queue by the host reconciler: the migration has ended"));
                }
            }

            DropSessions(migration!.Value, targetSide: null);
            var freed = ReleaseSlotIfIdle(migration.Value);
            Publish();
            replyTo.Tell(new LeftoverReconciled(_id, command.Action, null, migration, freed));
            return;
        }

        // The sessions an ended migration left (listeners, open streams) go first: the device command resets the VF.
        if (migration is { } m)
        {
            DropSessions(m, targetSide: command.Action == LeftoverAction.DestroyTarget);
        }

        var index = command.Vf!.Value.Index;
        Task work = command.Action == LeftoverAction.ResumeSource
            ? _lane.ResumeAsync(index, command.Ticket, CancellationToken.None)
            : _lane.DestroyAsync(index, command.Ticket, CancellationToken.None);
        work.PipeTo(Self, success: () => new LeftoverDone(replyTo, command, null), failure: ex => new LeftoverDone(replyTo, command, ex));
    }

    private LeftoverRefused? RefusalOf(ReconcileLeftover command)
    {
        var migration = command.Ticket?.Migration;
        LeftoverRefused Refuse(string reason, bool nothing = false) => new(_id, command.Action, command.Vf, migration, reason, nothing);
        if (command.Ticket is { } ticket)
        {
            if (Ledger.EpochOf(ticket.Migration) is { } current && ticket.Epoch < current)
            {
                _observer.CommandFenced(_id, ticket, "reconcile-" + command.Action, current);
                return Refuse($"fenced: this PF has seen epoch {current} of {ticket.Migration}, the reconciler knew epoch {ticket.Epoch}");
            }

            if (_running.TryGetValue(ticket.Migration, out var flight))
            {
                return Refuse($"migration {ticket.Migration} is live on this PF: {flight.Step} is running");
            }

            if (_pending.TryGetValue(ticket.Migration, out var pending))
            {
                return Refuse($"migration {ticket.Migration} is live on this PF: {pending.Command.Step} is waiting to run");
            }
        }
        else if (command.Action is LeftoverAction.FreeSlot)
        {
            return Refuse("a slot is freed only for a named migration");
        }

        if (command.Action == LeftoverAction.FreeSlot)
        {
            return Ledger.HoldsOrWaitsForSlot(migration!.Value)
                ? null
                : Refuse($"{migration} holds no slot and waits in no queue here", nothing: true);
        }

        if (command.Vf is not { } vf || vf.Pf != _id)
        {
            return Refuse($"VF {command.Vf?.ToString() ?? "(none)"} is not on PF {_id}");
        }

        if (Ledger.OwnerOf(vf.Index) is { } owner && owner.Migration != migration)
        {
            return Refuse($"VF {vf} is in use by migration {owner.Migration}");
        }

        var present = _lane.Driver.ListVfs().FirstOrDefault(v => v.Index == vf.Index);
        if (present is null)
        {
            return Refuse($"VF {vf} is already gone", nothing: true);
        }

        return command.ExpectedState is { } expected && present.State != expected
            ? Refuse($"VF {vf} is {present.State.Name()} now, not {expected.Name()}: it changed since it was inspected")
            : null;
    }

    private void OnLeftoverDone(LeftoverDone done)
    {
        var command = done.Command;
        var migration = command.Ticket?.Migration;
        SyncVfs(command.Ticket);
        var freed = migration is { } m && ReleaseSlotIfIdle(m);
        if (migration is { } gone && !freed && done.Error is null && !Ledger.SlotHolders.ContainsKey(gone))
        {
            // An earlier process of this PF may have held the migration's slot (its history says acquired, and a restart
            // freed it without a word): say that none is held now, so the history's books balance.
            _observer.SlotChanged(_id, gone, acquired: false);
        }

        Publish();
        if (done.Error is { } error)
        {
            _log.Warning("[{Migration}] reconciler: {Action} {Vf} on {Pf} failed: {Reason}", migration?.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, Describe(error));
            done.ReplyTo.Tell(new LeftoverRefused(_id, command.Action, command.Vf, migration, "device command failed: " + Describe(error)));
            return;
        }

        done.ReplyTo.Tell(new LeftoverReconciled(_id, command.Action, command.Vf, migration, freed));
    }

    /// <summary>Forgets an ended migration's sessions on one side (or both, when null) and its claims on their VFs.</summary>
    private void DropSessions(MigrationId migration, bool? targetSide)
    {
        PfSide? side = targetSide switch { true => PfSide.Target, false => PfSide.Source, null => null };
        foreach (var s in side is { } one ? [one] : new[] { PfSide.Source, PfSide.Target })
        {
            DisposeSession(migration, s);
        }

        Ledger = Ledger.DropSessions(migration, side, _settings.TimeProvider.GetUtcNow());
    }

    /// <summary>Gives back the migration's slot once it has no session left here, and admits who waits.</summary>
    private bool ReleaseSlotIfIdle(MigrationId migration)
    {
        Ledger = Ledger.ReleaseSlotIfIdle(migration, _settings.TimeProvider.GetUtcNow(), out var freed, out var admitted, out var fenced);
        if (freed)
        {
            _observer.SlotChanged(_id, migration, acquired: false);
        }

        StartAdmitted(admitted, fenced);
        return freed;
    }

    // ---- Inventory ----

    /// <summary>Whether VF <paramref name="index"/> is a target whose PrepareTargetCommand is running now.</summary>
    private bool IsBeingPrepared(int index) =>
        Ledger.OwnerOf(index) is { Side: PfSide.Target } owner
        && _running.TryGetValue(owner.Migration, out var flight) && flight.Step == PrepareTargetStep;

    /// <summary>The ticket of the migration that holds VF <paramref name="index"/> here, at the epoch last seen of it.</summary>
    private MigrationTicket? OwnerTicket(int index) =>
        Ledger.OwnerOf(index) is { } owner && Ledger.EpochOf(owner.Migration) is { } epoch
            ? new MigrationTicket(owner.Migration, epoch)
            : null;

    /// <summary>Re-reads the device: VF actors follow what exists, and every state change is told and recorded.</summary>
    private void SyncVfs(MigrationTicket? cause)
    {
        var now = _settings.TimeProvider.GetUtcNow();
        var present = _lane.Driver.ListVfs();
        foreach (var vf in present)
        {
            var vfId = _id.Vf(vf.Index);
            if (!_vfActors.ContainsKey(vf.Index) && IsBeingPrepared(vf.Index))
            {
                // Created a moment ago by a PrepareTargetCommand still running (another migration's step ended meanwhile): not a
                // VF of the inventory until its own step has taken it to RESUMING; first seen RUNNING under its workload's
                // label, it would look like the workload running on a second host.
                continue;
            }

            if (!_vfActors.TryGetValue(vf.Index, out var actor))
            {
                var index = vf.Index;
                actor = Context.ActorOf(VfActor.Props(vfId, vf.Kind, vf.Profile, _workloads.GetValueOrDefault(index), vf.State), $"vf{index}");
                _lastStates[index] = vf.State;
                _vfActors[vf.Index] = actor;
                // A VF a migration is creating belongs to that migration, whichever step's end first lists it: another
                // migration's step on this PF may finish while the create is still on its way to RESUMING.
                _observer.VfCreated(vfId, vf.Kind, vf.Profile, _workloads.GetValueOrDefault(index), vf.State, OwnerTicket(index) ?? cause);
            }

            _lane.ObserveDrift(vf.Index, cause); // Changes no command reported (a fault, a reset by the device).
            if (!_lastStates.TryGetValue(vf.Index, out var last) || last != vf.State)
            {
                _lastStates[vf.Index] = vf.State;
                actor.Tell(new VfProtocol.StateObserved(vf.State, cause?.Migration, cause?.Epoch, now));
            }
        }

        foreach (var gone in _vfActors.Keys.Except(present.Select(v => v.Index)).ToList())
        {
            Context.Stop(_vfActors[gone]);
            _vfActors.Remove(gone);
            _lastStates.Remove(gone);
            _lane.Forget(gone);
            _observer.VfDestroyed(_id.Vf(gone), _workloads.GetValueOrDefault(gone), cause);
            SetWorkload(gone, null);
        }
    }

    /// <summary>Ends a step's span with what moved (bytes) and, for a failure, why.</summary>
    private static void EndSpan(Activity? span, IPfStepReply reply)
    {
        if (span is null)
        {
            return;
        }

        switch (reply)
        {
            case PreCopyRoundReply round:
                span.SetTag(MigrationTracing.BytesAttribute, round.BytesThisRound);
                break;
            case StopAndCopyReply transferred:
                span.SetTag(MigrationTracing.BytesAttribute, transferred.BytesTransferred);
                break;
        }

        MigrationTracing.End(span, (reply as StepFailedReply)?.Reason);
    }

    /// <summary>A restarted VF actor's state, read from the device now (the PF's thread, as every device read).</summary>
    private void ReobserveVf(int index, IActorRef vf)
    {
        VfioDeviceState state;
        try
        {
            state = _lane.Driver.GetDeviceState(index);
        }
        catch (VfioException)
        {
            return; // The VF vanished: the next sync stops its actor.
        }

        _lastStates[index] = state;
        vf.Tell(new VfProtocol.StateObserved(state, null, null, _settings.TimeProvider.GetUtcNow()));
    }

    private PfReport Report()
    {
        var vfs = _lane.Driver.ListVfs()
            .Select(v => new VfInventory(_id.Vf(v.Index), v.Kind, v.Profile, _workloads.GetValueOrDefault(v.Index), v.State))
            .ToList();
        var inventory = new PfInventory(_id, _lane.Driver.Descriptor, vfs, Ledger.SlotsInUse);
        return new PfReport(inventory, Self, Ledger.Queue.Count, Ledger.Owners.ToDictionary(kv => _id.Vf(kv.Key), kv => kv.Value.Migration));
    }

    private void Publish() => Context.Parent.Tell(Report());

    /// <summary>Asks the host to write this PF's snapshot to a majority of the directory, and holds the reply until then.</summary>
    private void PublishThenAnswer(MigrationId? migration, IEnumerable<IActorRef> waiters, object reply)
    {
        var sequence = ++_directoryWrites;
        Context.Parent.Tell(new WriteDirectory(Report(), sequence));
        foreach (var waiter in waiters)
        {
            _held.Add(new HeldReply(sequence, migration, waiter, reply));
        }

        if (!Timers.IsTimerActive(DirectoryTimer))
        {
            Timers.StartSingleTimer(DirectoryTimer, new DirectoryOverdue(sequence), _settings.DirectoryWriteTimeout * 2);
        }
    }

    /// <summary>Tells a migration's reply now, or after the replies of that migration still held for the directory.</summary>
    private void Answer(MigrationId migration, IActorRef to, object reply)
    {
        var last = _held.FindLast(h => h.Migration == migration);
        if (last is null)
        {
            to.Tell(reply);
        }
        else
        {
            _held.Add(last with { To = to, Reply = reply });
        }
    }

    /// <summary>Tells, in order, every held reply whose directory write is done (or given up on: <paramref name="notWritten"/>).</summary>
    private void OnDirectoryWritten(long sequence, string? notWritten)
    {
        if (sequence <= _directoryWritten)
        {
            return;
        }

        if (notWritten is not null)
        {
            _log.Warning("[{Pf}] directory write {Sequence} not confirmed ({Failure}): answering anyway; other nodes may show the change late", _id, sequence, notWritten);
        }

        _directoryWritten = sequence;
        foreach (var held in _held.Where(h => h.Sequence <= sequence))
        {
            held.To.Tell(held.Reply);
        }

        _held.RemoveAll(h => h.Sequence <= sequence);
        Timers.Cancel(DirectoryTimer);
        if (_held.Count > 0)
        {
            var oldest = _held.Min(h => h.Sequence);
            Timers.StartSingleTimer(DirectoryTimer, new DirectoryOverdue(oldest), _settings.DirectoryWriteTimeout * 2);
        }
    }

    private void SetWorkload(int index, WorkloadId? workload)
    {
        lock (_workloads)
        {
            if (workload is null)
            {
                _workloads.Remove(index);
            }
            else
            {
                _workloads[index] = workload;
            }
        }
    }

    // Read from the lane's threads: the workload map only changes on the actor thread, and a stale read only mislabels
    // a history line's workload for a VF that is being created or destroyed at that moment.
    private WorkloadId? WorkloadOf(int index)
    {
        lock (_workloads)
        {
            return _workloads.GetValueOrDefault(index);
        }
    }

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerException: { } inner } ? Unwrap(inner) : ex;

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerException: { } inner } => Describe(inner),
        VfioException v => v.Message,
        OperationCanceledException => "cancelled (a newer epoch took over, or the PF is stopping)",
        TimeoutException => "timed out",
        _ => ex.Message,
    };

    private sealed record StepFinished(InFlight Flight, IPfStepCommand Command, IPfStepReply Reply);

    private sealed record VfCommandDone(IActorRef ReplyTo, object Reply, Action? Apply = null, string? RequestKey = null);

    private sealed record LeftoverDone(IActorRef ReplyTo, ReconcileLeftover Command, Exception? Error);

    private sealed record HeldReply(long Sequence, MigrationId? Migration, IActorRef To, object Reply);

    private sealed record DirectoryOverdue(long Sequence);

    private sealed record InFlight(MigrationTicket Ticket, PfStep Step, CancellationTokenSource Cancellation, List<IActorRef> Waiters, Activity? Span);
}
