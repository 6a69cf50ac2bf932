using Akka.Actor;
using Akka.Event;
using Orchestrator.Cluster.Vfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// The supervisor of one PF's VFs and the only actor that talks to its driver. Runs every device step of the
/// migrations that touch this PF, one step per migration at a time, with each VF's device commands serialized
/// (<see cref="PfDeviceLane"/>). Admits at most the driver's migration limit at once and queues the rest FIFO.
/// Fences commands from an older epoch of a migration; the same (migration, epoch, step) twice answers the same reply.
/// </summary>
/// <remarks>
/// <code>
///   command ──fenced?──► CommandFenced            (older epoch: the device is not touched)
///      │ same step+epoch done? ──► cached reply   (idempotent)
///      │ slot needed and none free ──► queue ──► CommandQueued(position)
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

    private const string PrepareTargetStep = "prepare-target"; // PrepareTarget.Step
    private readonly PfId _id;
    private readonly PfDeviceLane _lane;
    private readonly PfActorSettings _settings;
    private readonly IDeviceObserver _observer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, IActorRef> _vfActors = [];
    private readonly Dictionary<int, VfioDeviceState> _lastStates = [];
    private readonly Dictionary<int, WorkloadId?> _workloads;
    private readonly Dictionary<int, (MigrationId Migration, bool IsTarget)> _owners = [];
    private readonly Dictionary<MigrationId, Epoch> _epochs = [];
    private readonly Dictionary<(MigrationId, string), CachedReply> _replies = [];
    private readonly Dictionary<MigrationId, InFlight> _running = [];
    private readonly Dictionary<MigrationId, (IMigrationCommand Command, IActorRef Sender)> _pending = [];
    private readonly Dictionary<MigrationId, int> _slotHolders = []; // migration -> VFs of it holding a slot here
    private readonly List<(IMigrationCommand Command, IActorRef Sender)> _slotQueue = [];
    private readonly Dictionary<MigrationId, SourceSession> _sources = [];
    private readonly Dictionary<MigrationId, TargetSession> _targets = [];
    private readonly HashSet<MigrationId> _ended = []; // migrations whose leftovers the host reconciler cleaned here
    private readonly List<HeldReply> _held = []; // replies waiting for their directory write, in the order they are told
    private long _directoryWrites; // sequence of the last WriteDirectory sent to the host
    private long _directoryWritten; // every write up to this one is answered (written, or given up on)
    private readonly HashSet<int> _creating = []; // indices an API create is running for (not yet on the device)

    public PfActor(PfId id, IPfDriver driver, IReadOnlyDictionary<int, WorkloadId> workloads, PfActorSettings settings, IDeviceObserver observer)
    {
        _id = id;
        _lane = new PfDeviceLane(driver, (index, from, to, cause) => observer.VfStateChanged(id.Vf(index), WorkloadOf(index), from, to, cause));
        _settings = settings;
        _observer = observer;
        _workloads = workloads.ToDictionary(kv => kv.Key, kv => (WorkloadId?)kv.Value);
    }

    public static Props Props(PfId id, IPfDriver driver, IReadOnlyDictionary<int, WorkloadId> workloads, PfActorSettings settings, IDeviceObserver observer) =>
        Akka.Actor.Props.Create(() => new PfActor(id, driver, workloads, settings, observer));

    public ITimerScheduler Timers { get; set; } = null!;

    private int MigrationLimit => _lane.Driver.Descriptor.MaxConcurrentMigrations;

    protected override void PreStart()
    {
        _observer.PfStarted(_id);
        SyncVfs(null);
        Publish();
    }

    protected override void PostStop()
    {
        foreach (var flight in _running.Values)
        {
            flight.Cancellation.Cancel();
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
            case IMigrationCommand command:
                Handle(command, Sender);
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
                PublishThenAnswer(null, [done.ReplyTo], done.Reply);
                break;
            case DirectoryWritten written:
                OnDirectoryWritten(written.Sequence, written.Majority ? null : "no majority of the directory answered in time");
                break;
            case DirectoryOverdue overdue:
                OnDirectoryWritten(overdue.Sequence, "the host did not confirm the directory write");
                break;
            case GetPfStatus:
                Sender.Tell(Snapshot());
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

    private void Handle(IMigrationCommand command, IActorRef sender)
    {
        var (migration, epoch) = (command.Ticket.Migration, command.Ticket.Epoch);
        if (_ended.Contains(migration))
        {
            // A late duplicate of an ended migration's command must not recreate what the reconciler cleaned.
            _log.Warning("[{0}] fenced {1} from epoch {2}: the migration has ended and its leftovers were cleaned", migration, command.Step, epoch);
            _observer.CommandFenced(_id, command.Ticket, command.Step, epoch);
            sender.Tell(new CommandFenced(command.Ticket, command.Step, epoch));
            return;
        }

        if (_epochs.TryGetValue(migration, out var current) && epoch < current)
        {
            _log.Warning("[{0}] fenced {1} from epoch {2}; current epoch is {3}", migration, command.Step, epoch, current);
            _observer.CommandFenced(_id, command.Ticket, command.Step, current);
            sender.Tell(new CommandFenced(command.Ticket, command.Step, current));
            return;
        }

        if (epoch > current || !_epochs.ContainsKey(migration))
        {
            _epochs[migration] = epoch;
            if (_running.TryGetValue(migration, out var stale) && stale.Ticket.Epoch < epoch)
            {
                // A newer incarnation of the coordinator took over: what the old one started stops now.
                stale.Cancellation.Cancel();
            }
        }

        if (_replies.TryGetValue((migration, command.Step), out var cached) && cached.Epoch == epoch)
        {
            Answer(migration, sender, cached.Reply);
            return;
        }

        if (command is PrepareTarget prepare && HeldByOther(migration, prepare.Vfs.Select(v => v.Target.Index)) is { } held)
        {
            // Another migration's VF is never this one's target: refuse before touching anything (the rollback that
            // follows destroys nothing of it either).
            _log.Warning("[{0}] refused {1} on {2}: {3}", migration, command.Step, _id, held);
            sender.Tell(new MigrationStepFailed(command.Ticket, command.Step, held));
            return;
        }

        // Held from the first command that names a VF, queued or not: from here on neither a DELETE nor a create without
        // an index takes it.
        Claim(command);

        if (_running.TryGetValue(migration, out var flight))
        {
            if (flight.Ticket == command.Ticket && flight.Step == command.Step)
            {
                flight.Waiters.Add(sender);
            }
            else
            {
                if (command is ResumeSource or DestroyTarget)
                {
                    // Rolling back: a forward step still running (a hung device command, a stalled stream) must
                    // not hold the rollback hostage. Cancel it; the rollback runs when it has unwound.
                    _log.Warning("[{0}] cancelling {1} on {2} to roll back", migration, flight.Step, _id);
                    flight.Cancellation.Cancel();
                }

                _pending[migration] = (command, sender);
            }

            return;
        }

        if (SlotsNeeded(command) is > 0 and var needed && !_slotHolders.ContainsKey(migration))
        {
            var queued = _slotQueue.FindIndex(q => q.Command.Ticket.Migration == migration);
            if (queued >= 0)
            {
                _slotQueue[queued] = (command, sender);
            }
            else if (_slotQueue.Count > 0 || !HasRoomFor(needed))
            {
                // FIFO: nobody overtakes a migration already waiting for this PF.
                _slotQueue.Add((command, sender));
                queued = _slotQueue.Count - 1;
            }

            if (queued >= 0)
            {
                _log.Info("[{0}] waits for {1} migration slot(s) on {2} (position {3}, limit {4})", migration, needed, _id, queued + 1, MigrationLimit);
                sender.Tell(new CommandQueued(command.Ticket, command.Step, queued + 1));
                Publish();
                return;
            }

            _slotHolders[migration] = needed;
            _observer.SlotChanged(_id, migration, acquired: true);
        }

        Start(command, sender);
    }

    private void Start(IMigrationCommand command, IActorRef sender)
    {
        var migration = command.Ticket.Migration;
        var flight = new InFlight(command.Ticket, command.Step, new CancellationTokenSource(), [sender]);
        _running[migration] = flight;
        Claim(command); // idempotent; a command admitted from the slot queue claims what it is about to touch again
        var ct = flight.Cancellation.Token;
        RunAsync(command, ct).PipeTo(
            Self,
            success: reply => new StepFinished(command, reply),
            failure: ex => new StepFinished(command, new MigrationStepFailed(command.Ticket, command.Step, Describe(ex), (Unwrap(ex) as VfioException)?.Errno)));
    }

    private Task<IMigrationReply> RunAsync(IMigrationCommand command, CancellationToken ct)
    {
        // Sessions are actor state: find or create them here, on the actor's thread. The step itself then runs on the
        // thread pool: device commands and the state stream hash and copy synchronously for long stretches, and the
        // actor must keep answering other migrations, rollbacks and status queries meanwhile.
        Func<Task<IMigrationReply>> step = command switch
        {
            PrepareTarget prepare => Bind(TargetFor(prepare.Ticket), s => s.PrepareAsync(prepare.Vfs, ct)),
            LoadTarget => Bind(TargetFor(command.Ticket), s => s.LoadAsync(ct)),
            StartTarget start => Bind(TargetFor(start.Ticket), s => s.StartAsync(start.Targets, ct)),
            DestroyTarget destroy => Bind(TargetFor(destroy.Ticket), DestroyStep(destroy, ct)),
            StartPreCopy pre => Bind(SourceFor(pre.Ticket), s => s.StartPreCopyAsync(pre.Offers, pre.BandwidthBytesPerSecond, ct)),
            RunPreCopyRound round => Bind(SourceFor(round.Ticket), s => s.RunRoundAsync(round.Round, ct)),
            QuiesceSources => Bind(SourceFor(command.Ticket), s => s.QuiesceAsync(ct)),
            StopAndCopy stop => Bind(SourceFor(stop.Ticket), s => s.StopAndCopyAsync(stop.Offers, ct)),
            ResumeSource resume => Bind(SourceFor(resume.Ticket), s => s.ResumeAsync(resume.Sources, ct)),
            ReleaseSource release => Bind(SourceFor(release.Ticket), s => s.ReleaseAsync(release.Sources, ct)),
            _ => () => Task.FromException<IMigrationReply>(new InvalidOperationException($"unknown command {command.GetType().Name}")),
        };
        return Task.Run(step, CancellationToken.None);

        // What the target destroy judges by is actor state: read it here, not on the thread pool.
        Func<TargetSession, Task<TargetDestroyed>> DestroyStep(DestroyTarget destroy, CancellationToken token)
        {
            var labels = destroy.Targets.Select(t => t.Index).Distinct().ToDictionary(i => i, WorkloadOf);
            var foreign = _owners.Where(kv => kv.Value.Migration != destroy.Ticket.Migration).Select(kv => kv.Key).ToHashSet();
            return s => s.DestroyAsync(destroy.Targets, destroy.Workload, labels, foreign, token);
        }

        static Func<Task<IMigrationReply>> Bind<TSession, TReply>(TSession session, Func<TSession, Task<TReply>> run)
            where TReply : IMigrationReply => async () => await run(session).ConfigureAwait(false);
    }

    private void OnStepFinished(StepFinished finished)
    {
        var (command, reply) = (finished.Command, finished.Reply);
        var migration = command.Ticket.Migration;
        _running.Remove(migration, out var flight);
        if (reply is MigrationStepFailed failed)
        {
            _log.Warning("[{0}] {1} failed on {2}: {3}", migration, command.Step, _id, failed.Reason);
        }

        if (reply is MigrationStepFailed)
        {
            // A failure is not an answer to keep: the coordinator's retry of the same step must run it again.
            _replies.Remove((migration, command.Step));
            if (command is PrepareTarget prepare)
            {
                Unlabel(prepare);
            }
        }
        else
        {
            _replies[(migration, command.Step)] = new CachedReply(command.Ticket.Epoch, reply);
        }
        Observe(command, reply);
        if (EndsSession(reply))
        {
            EndSession(migration, reply);
        }

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
    private void Unlabel(PrepareTarget prepare)
    {
        var session = _targets.GetValueOrDefault(prepare.Ticket.Migration);
        var present = _lane.Driver.ListVfs().ToDictionary(v => v.Index, v => v.State);
        foreach (var spec in prepare.Vfs)
        {
            var index = spec.Target.Index;
            if (session?.Created(index) != true && WorkloadOf(index) == spec.Workload
                && present.TryGetValue(index, out var state) && !TargetSession.IsPreparedState(state))
            {
                _log.Warning("[{0}] VF {1} is {2} and was not created by this migration: it does not serve {3}", prepare.Ticket.Migration, spec.Target, state.Name(), spec.Workload);
                SetWorkload(index, null);
            }
        }
    }

    private void EndSession(MigrationId migration, IMigrationReply reply)
    {
        var targetSide = reply is TargetDestroyed or TargetStarted;
        if (targetSide && _targets.Remove(migration, out var target))
        {
            _ = target.DisposeAsync().AsTask();
        }

        if (!targetSide && _sources.Remove(migration, out var source))
        {
            _ = source.DisposeAsync().AsTask();
        }

        foreach (var index in _owners.Where(kv => kv.Value.Migration == migration && kv.Value.IsTarget == targetSide).Select(kv => kv.Key).ToList())
        {
            _owners.Remove(index);
        }

        if (!_sources.ContainsKey(migration) && !_targets.ContainsKey(migration) && _slotHolders.Remove(migration))
        {
            _observer.SlotChanged(_id, migration, acquired: false);
            AdmitQueued();
        }
    }

    private void AdmitQueued()
    {
        while (_slotQueue.Count > 0 && HasRoomFor(SlotsNeeded(_slotQueue[0].Command)))
        {
            var (command, sender) = _slotQueue[0];
            _slotQueue.RemoveAt(0);
            _slotHolders[command.Ticket.Migration] = SlotsNeeded(command);
            _observer.SlotChanged(_id, command.Ticket.Migration, acquired: true);
            _log.Info("[{0}] admitted to a migration slot on {1}", command.Ticket.Migration, _id);
            Start(command, sender);
        }
    }

    /// <summary>
    /// Migration slots count VFs, as firmware does (RHEL: at most 4 VFs of a CX-7 PF at once, one VM with 4 or 4 VMs
    /// with one). Commands that open device sessions need one per VF; the others none.
    /// </summary>
    private static int SlotsNeeded(IMigrationCommand command) => command switch
    {
        PrepareTarget prepare => prepare.Vfs.Count,
        StartPreCopy pre => pre.Offers.Count,
        StopAndCopy stop => stop.Offers.Count,
        _ => 0,
    };

    /// <summary>An oversized migration still runs alone (the device then answers for itself) rather than wait forever.</summary>
    private bool HasRoomFor(int needed)
    {
        var used = _slotHolders.Values.Sum();
        return used == 0 || used + needed <= MigrationLimit;
    }

    /// <summary>Steps after which a workload runs elsewhere or a VF was created or destroyed (failed ones too: they may have).</summary>
    private static bool ChangesDirectory(IMigrationCommand command) =>
        command is PrepareTarget or StartTarget or DestroyTarget or ResumeSource or ReleaseSource;

    private static bool EndsSession(IMigrationReply reply) => reply is TargetDestroyed or TargetStarted or SourceResumed or SourceReleased;

    private void Claim(IMigrationCommand command)
    {
        var migration = command.Ticket.Migration;
        switch (command)
        {
            case PrepareTarget prepare:
                var present = _lane.Driver.ListVfs().Select(v => v.Index).ToHashSet();
                foreach (var vf in prepare.Vfs)
                {
                    _owners[vf.Target.Index] = (migration, true);
                    if (!present.Contains(vf.Target.Index) && !_creating.Contains(vf.Target.Index))
                    {
                        // Labelled before it exists, so that its history lines name the workload; a VF already there is
                        // someone else's (the create will fail) and keeps its own label.
                        SetWorkload(vf.Target.Index, vf.Workload);
                    }
                }

                break;
            case StartPreCopy pre:
                foreach (var offer in pre.Offers)
                {
                    _owners[offer.Source.Index] = (migration, false);
                }

                break;
            case StopAndCopy stop:
                foreach (var offer in stop.Offers)
                {
                    _owners[offer.Source.Index] = (migration, false);
                }

                break;
            case ResumeSource resume:
                ClaimSources(resume.Sources);
                break;
            case ReleaseSource release:
                ClaimSources(release.Sources);
                break;
        }

        // After a PF actor restart the rollback or the release may be the first command that names the sources.
        void ClaimSources(IReadOnlyList<VfId> sources)
        {
            foreach (var vf in sources.Where(v => v.Pf == _id))
            {
                if (!_owners.TryGetValue(vf.Index, out var owner) || owner.Migration == migration)
                {
                    _owners[vf.Index] = (migration, false);
                }
            }
        }
    }

    /// <summary>Why <paramref name="indices"/> are not <paramref name="migration"/>'s to use: another migration holds one.</summary>
    private string? HeldByOther(MigrationId migration, IEnumerable<int> indices)
    {
        foreach (var index in indices)
        {
            if (_owners.TryGetValue(index, out var owner) && owner.Migration != migration)
            {
                return $"VF {_id.Vf(index)} is held by migration {owner.Migration}";
            }
        }

        return null;
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

    private void Observe(IMigrationCommand command, IMigrationReply reply)
    {
        switch (reply)
        {
            case StateTransferred transferred:
                foreach (var c in transferred.Checksums)
                {
                    _observer.StateSaved(command.Ticket, c);
                }

                break;
            case TargetLoaded loaded:
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
        var present = _lane.Driver.ListVfs();
        var existing = create.Index is int wanted ? present.FirstOrDefault(v => v.Index == wanted) : null;
        if (existing is not null)
        {
            var same = existing.Kind == create.Kind && existing.Profile == create.Profile && _workloads.GetValueOrDefault(existing.Index) == create.Workload;
            replyTo.Tell(same
                ? new VfCreated(_id.Vf(existing.Index), existing.Kind, existing.Profile, create.Workload)
                : new VfCommandFailed($"VF {_id.Vf(existing.Index)} exists already with kind {existing.Kind}, profile '{existing.Profile}'", IsConflict: true));
            return;
        }

        if (create.Index is int asked && (_owners.TryGetValue(asked, out var owner) || _creating.Contains(asked)))
        {
            replyTo.Tell(new VfCommandFailed(
                _creating.Contains(asked)
                    ? $"VF {_id.Vf(asked)} is being created by another request"
                    : $"VF index {asked} on PF {_id} is held by migration {owner.Migration}",
                IsConflict: true));
            return;
        }

        // Without an index the PF picks it, not the driver: the driver's lowest free index may be a migration's target.
        var index = create.Index ?? FreeIndex(present, create.AvoidIndices);
        if (index is not { } chosen)
        {
            replyTo.Tell(new VfCommandFailed(
                $"PF {_id} has no free VF index: {present.Count} of {_lane.Driver.Descriptor.MaxVfs} exist, held by migrations: [{string.Join(", ", _owners.Keys.Order())}], avoided: [{string.Join(", ", create.AvoidIndices ?? [])}]",
                IsConflict: true));
            return;
        }

        _creating.Add(chosen);
        _lane.RunAsync(chosen, d => d.CreateVfAsync(create.Kind, create.Profile, chosen, CancellationToken.None), CancellationToken.None)
            .PipeTo(
                Self,
                success: vf => new VfCommandDone(
                    replyTo,
                    new VfCreated(_id.Vf(vf.Index), vf.Kind, vf.Profile, create.Workload),
                    () =>
                    {
                        _creating.Remove(chosen);
                        SetWorkload(vf.Index, create.Workload);
                    }),
                failure: ex => new VfCommandDone(
                    replyTo,
                    new VfCommandFailed(
                        $"create VF on {_id} with kind {create.Kind}, profile '{create.Profile}': {Describe(ex)}",
                        IsConflict: Unwrap(ex) is VfioException { Errno: VfioErrno.EBUSY }),
                    () => _creating.Remove(chosen)));
    }

    /// <summary>The lowest index free on the device, held by no migration here, not being created, not avoided.</summary>
    private int? FreeIndex(IReadOnlyList<VfDescriptor> present, IReadOnlyList<int>? avoid)
    {
        var taken = present.Select(v => v.Index).Concat(_owners.Keys).Concat(_creating).Concat(avoid ?? []).ToHashSet();
        for (var i = 0; i < _lane.Driver.Descriptor.MaxVfs; i++)
        {
            if (!taken.Contains(i))
            {
                return i;
            }
        }

        return null;
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
        if (_owners.TryGetValue(index, out var owner))
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
            _log.Warning("[{0}] forced delete of a VF that serves workload {1}", destroy.Vf, workload);
        }

        _lane.DestroyAsync(index, null, CancellationToken.None).PipeTo(
            Self,
            success: () => new VfCommandDone(replyTo, new VfDestroyed(destroy.Vf), () => SetWorkload(index, null)),
            failure: ex => new VfCommandDone(replyTo, new VfCommandFailed($"destroy VF {destroy.Vf}: {Describe(ex)}")));
    }

    // ---- Host reconciler ----

    private void OnInspectLeftovers()
    {
        // Re-read first: a VF that changed behind the PF's back (a fault, a restart) must be seen, and recorded, as it is.
        SyncVfs(null);
        Publish();
        var snapshot = Snapshot();
        Sender.Tell(new PfLeftoverView(
            _id,
            snapshot.Inventory.Vfs,
            snapshot.VfMigrations,
            [.. _slotHolders.Keys],
            [.. _slotQueue.Select(q => q.Command.Ticket.Migration)]));
    }

    private void OnReconcileLeftover(ReconcileLeftover command)
    {
        var replyTo = Sender;
        if (RefusalOf(command) is { } refusal)
        {
            if (!refusal.NothingToDo)
            {
                _log.Warning("[{0}] reconciler: {1} of {2} on {3} refused: {4}", command.Ticket?.Migration.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, refusal.Reason);
            }

            replyTo.Tell(refusal);
            return;
        }

        var migration = command.Ticket?.Migration;
        _log.Info("[{0}] reconciler: {1} {2} on {3}: {4}", migration?.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, command.Reason);
        if (migration is { } ended)
        {
            _ended.Add(ended); // Only ended migrations are reconciled (terminal is final); nothing of theirs may run here again.
        }
        if (command.Action == LeftoverAction.FreeSlot)
        {
            foreach (var (queued, sender) in _slotQueue.Where(q => q.Command.Ticket.Migration == migration).ToList())
            {
                _slotQueue.Remove((queued, sender));
                sender.Tell(new MigrationStepFailed(queued.Ticket, queued.Step, "dropped from the slot queue by the host reconciler: the migration has ended"));
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
            if (_epochs.TryGetValue(ticket.Migration, out var current) && ticket.Epoch < current)
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
            return _slotHolders.ContainsKey(migration!.Value) || _slotQueue.Any(q => q.Command.Ticket.Migration == migration)
                ? null
                : Refuse($"{migration} holds no slot and waits in no queue here", nothing: true);
        }

        if (command.Vf is not { } vf || vf.Pf != _id)
        {
            return Refuse($"VF {command.Vf?.ToString() ?? "(none)"} is not on PF {_id}");
        }

        if (_owners.TryGetValue(vf.Index, out var owner) && owner.Migration != migration)
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
        if (migration is { } gone && !freed && done.Error is null && !_slotHolders.ContainsKey(gone))
        {
            // An earlier process of this PF may have held the migration's slot (its history says acquired, and a restart
            // freed it without a word): say that none is held now, so the history's books balance.
            _observer.SlotChanged(_id, gone, acquired: false);
        }

        Publish();
        if (done.Error is { } error)
        {
            _log.Warning("[{0}] reconciler: {1} {2} on {3} failed: {4}", migration?.ToString() ?? "-", command.Action, command.Vf?.ToString() ?? "-", _id, Describe(error));
            done.ReplyTo.Tell(new LeftoverRefused(_id, command.Action, command.Vf, migration, "device command failed: " + Describe(error)));
            return;
        }

        done.ReplyTo.Tell(new LeftoverReconciled(_id, command.Action, command.Vf, migration, freed));
    }

    /// <summary>Forgets an ended migration's sessions on one side (or both, when null) and its claims on their VFs.</summary>
    private void DropSessions(MigrationId migration, bool? targetSide)
    {
        if (targetSide != false && _targets.Remove(migration, out var target))
        {
            _ = target.DisposeAsync().AsTask();
        }

        if (targetSide != true && _sources.Remove(migration, out var source))
        {
            _ = source.DisposeAsync().AsTask();
        }

        foreach (var index in _owners.Where(kv => kv.Value.Migration == migration && (targetSide is null || kv.Value.IsTarget == targetSide)).Select(kv => kv.Key).ToList())
        {
            _owners.Remove(index);
        }
    }

    /// <summary>Gives back the migration's slot once it has no session left here, and admits who waits.</summary>
    private bool ReleaseSlotIfIdle(MigrationId migration)
    {
        if (_sources.ContainsKey(migration) || _targets.ContainsKey(migration) || _running.ContainsKey(migration) || !_slotHolders.Remove(migration))
        {
            return false;
        }

        _observer.SlotChanged(_id, migration, acquired: false);
        AdmitQueued();
        return true;
    }

    // ---- Inventory ----

    /// <summary>Re-reads the device: VF actors follow what exists, and every state change is told and recorded.</summary>
    /// <summary>Whether VF <paramref name="index"/> is a target whose PrepareTarget is running now.</summary>
    private bool IsBeingPrepared(int index) =>
        _owners.TryGetValue(index, out var owner) && owner.IsTarget
        && _running.TryGetValue(owner.Migration, out var flight) && flight.Step == PrepareTargetStep;

    /// <summary>The ticket of the migration that holds VF <paramref name="index"/> here, at the epoch last seen of it.</summary>
    private MigrationTicket? OwnerTicket(int index) =>
        _owners.TryGetValue(index, out var owner) && _epochs.TryGetValue(owner.Migration, out var epoch)
            ? new MigrationTicket(owner.Migration, epoch)
            : null;

    private void SyncVfs(MigrationTicket? cause)
    {
        var now = _settings.TimeProvider.GetUtcNow();
        var present = _lane.Driver.ListVfs();
        foreach (var vf in present)
        {
            var vfId = _id.Vf(vf.Index);
            if (!_vfActors.ContainsKey(vf.Index) && IsBeingPrepared(vf.Index))
            {
                // Created a moment ago by a PrepareTarget still running (another migration's step ended meanwhile): not a
                // VF of the inventory until its own step has taken it to RESUMING; first seen RUNNING under its workload's
                // label, it would look like the workload running on a second host.
                continue;
            }

            if (!_vfActors.TryGetValue(vf.Index, out var actor))
            {
                var index = vf.Index;
                actor = Context.ActorOf(VfActor.Props(vfId, vf.Kind, vf.Profile, _workloads.GetValueOrDefault(index), () => _lane.Driver.GetDeviceState(index)), $"vf{index}");
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

    private PfSnapshot Snapshot()
    {
        var vfs = _lane.Driver.ListVfs()
            .Select(v => new VfInventory(_id.Vf(v.Index), v.Kind, v.Profile, _workloads.GetValueOrDefault(v.Index), v.State))
            .ToList();
        var inventory = new PfInventory(_id, _lane.Driver.Descriptor, vfs, _slotHolders.Values.Sum());
        return new PfSnapshot(inventory, Self, _slotQueue.Count, _owners.ToDictionary(kv => _id.Vf(kv.Key), kv => kv.Value.Migration));
    }

    private void Publish() => Context.Parent.Tell(Snapshot());

    /// <summary>Asks the host to write this PF's snapshot to a majority of the directory, and holds the reply until then.</summary>
    private void PublishThenAnswer(MigrationId? migration, IEnumerable<IActorRef> waiters, object reply)
    {
        var sequence = ++_directoryWrites;
        Context.Parent.Tell(new WriteDirectory(Snapshot(), sequence));
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
            _log.Warning("[{0}] directory write {1} not confirmed ({2}): answering anyway; other nodes may show the change late", _id, sequence, notWritten);
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

    private sealed record StepFinished(IMigrationCommand Command, IMigrationReply Reply);

    private sealed record VfCommandDone(IActorRef ReplyTo, object Reply, Action? Apply = null);

    private sealed record LeftoverDone(IActorRef ReplyTo, ReconcileLeftover Command, Exception? Error);

    private sealed record CachedReply(Epoch Epoch, IMigrationReply Reply);

    private sealed record HeldReply(long Sequence, MigrationId? Migration, IActorRef To, object Reply);

    private sealed record DirectoryOverdue(long Sequence);

    private sealed record InFlight(MigrationTicket Ticket, string Step, CancellationTokenSource Cancellation, List<IActorRef> Waiters);
}
