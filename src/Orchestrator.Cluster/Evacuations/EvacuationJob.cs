using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Migrations;
using static Orchestrator.Cluster.Evacuations.EvacuationEvents;
using static Orchestrator.Cluster.Evacuations.EvacuationProtocol;

namespace Orchestrator.Cluster.Evacuations;

/// <summary>
/// Drains a host: cordons it (nothing new lands there), then starts one migration per workload with a VF on it and
/// follows them to their end. A sharded, persistent entity like a migration: it survives its node, and because the
/// migration ids are derived from (job, workload), starting again after a crash finds the same migrations.
/// Concurrency is not the job's business: the placement authority's admission queue and each PF's FIFO enforce the
/// cluster's, the hosts' and the PFs' limits.
/// <para>
/// A cancel is persisted, then the job starts nothing more and aborts, at every poll, each of its migrations that has
/// not reached Committed; those past it complete. A migration the job cannot find is withdrawn (a tombstone in its
/// coordinator) before it counts as Cancelled, so that a start still on its way, whose answer timed out, can never
/// run. Every change of the job is written to the replicated
/// <see cref="EvacuationIndex"/> for listing.
/// </para>
/// </summary>
public sealed class EvacuationJob : ReceivePersistentActor, IWithTimers
{
    private const string PollTimer = "poll";

    private readonly string _id;
    private readonly OrchestratorClient _client;
    private readonly EvacuationJobSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<WorkloadId, (MigrationId Migration, string State, string? Reason)> _items = [];
    private readonly Dictionary<WorkloadId, DateTimeOffset> _restartedAt = [];
    private HostId? _host;
    private DateTimeOffset _createdAt;
    private DateTimeOffset _updatedAt;
    private bool _ended;
    private string? _cancelReason;
    private int _startsInFlight;
    private int _extensions;
    private bool _rechecking;
    private string? _waitingFor;

    // Workloads whose start has not answered yet: a poll must not take such a start for lost (its migration is unknown
    // until the start reaches the coordinator) and start it again. A start always answers, within the client's ask
    // timeout, so a lost one is polled and restarted after that.
    private readonly HashSet<WorkloadId> _starting = [];

    public EvacuationJob(string id, OrchestratorClient client, EvacuationJobSettings settings)
    {
        _id = id;
        _client = client;
        _settings = settings;

        Recover<EvacuationStarted>(Apply);
        Recover<EvacuationPlanExtended>(Apply);
        Recover<WorkloadMigrationEnded>(Apply);
        Recover<EvacuationEnded>(Apply);
        Recover<EvacuationCancelled>(Apply);
        Recover<RecoveryCompleted>(__ =>
        {
            if (_host is not null && !_ended)
            {
                _log.Info("[{Evacuation}] evacuation of {Host} resumes with {Pending} workload(s) pending, cancelled={Cancelled}", _id, _host, Pending, _cancelReason is not null);
                if (_cancelReason is null)
                {
                    TrackStarts(StartMigrations());
                }

                Timers.StartPeriodicTimer(PollTimer, Poll.Instance, _settings.PollInterval);
                Publish();
                Self.Tell(Finish.Instance); // Every workload may have ended before the crash, but not the job.
            }
        });

        Command<StartEvacuation>(OnStart);
        Command<CancelEvacuation>(OnCancel);
        Command<StartsDone>(_ =>
        {
            if (--_startsInFlight == 0)
            {
                Stash.UnstashAll(); // a cancel that waited for them
            }
        });
        Command<GetEvacuation>(_ => Sender.Tell(_host is null ? new UnknownEvacuation(_id) : View()));
        Command<Poll>(_ => PollMigrations());
        Command<StartAnswered>(a => _starting.Remove(a.Workload));
        Command<Ended>(OnEnded);
        Command<Finish>(_ => OnFinish());
        Command<Rechecked>(OnRechecked);
        Command<Restart>(OnRestart);
        Command<Progressed>(p =>
        {
            if (_items.TryGetValue(p.Workload, out var item) && !IsEnd(item.State))
            {
                _items[p.Workload] = item with { State = p.State }; // Not persisted: a view, not a fact.
            }
        });
    }

    public override string PersistenceId => $"evacuation-{_id}";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string id, OrchestratorClient client, EvacuationJobSettings settings) =>
        Akka.Actor.Props.Create(() => new EvacuationJob(id, client, settings));

    /// <summary>The migration id that moves <paramref name="workload"/> in evacuation <paramref name="evacuation"/>.</summary>
    public static MigrationId MigrationFor(string evacuation, WorkloadId workload) =>
        MigrationId.New(new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{evacuation}/{workload}")).AsSpan(0, 16)));

    private int Pending => _items.Values.Count(i => !IsEnd(i.State));

    /// <summary>What a workload shows while another migration holds it.</summary>
    private const string WaitingState = "WaitingForWorkload";

    /// <summary>Moved off the host by a migration of someone else's while the job waited.</summary>
    private const string MovedState = "Moved";

    /// <summary>Never started, because the job was cancelled first.</summary>
    private const string CancelledState = "Cancelled";

    private static bool IsEnd(string state) => state is "Completed" or "RolledBack" or "Failed" or MovedState or CancelledState;

    /// <summary>States from which an abort still rolls the migration back (before Committed, not rolling back yet).</summary>
    private static bool IsAbortable(MigrationPhase state) =>
        state is MigrationPhase.Requested or MigrationPhase.Placed or MigrationPhase.TargetPrepared or MigrationPhase.PreCopying
            or MigrationPhase.SwitchoverStarted or MigrationPhase.StateTransferred or MigrationPhase.TargetLoaded;

    private static bool IsWaitable(ClientError error) =>
        error.Kind == ClientErrorKind.Unavailable
        || (error.Kind == ClientErrorKind.Conflict && error.Code is RejectedCodes.WorkloadBusy or RejectedCodes.SourceMoved);

    /// <summary>
    /// Starts a workload's migration that does not exist (yet): its start was lost, or another migration held the
    /// workload. At most every <see cref="EvacuationJobSettings.RestartInterval"/> per workload, and only while the workload still has a VF on the host.
    /// </summary>
    private void OnRestart(Restart restart)
    {
        var now = _settings.Time.GetUtcNow();
        if (_host is not { } host || _cancelReason is not null || _starting.Contains(restart.Workload)
            || (_restartedAt.TryGetValue(restart.Workload, out var last) && now - last < _settings.RestartInterval))
        {
            return;
        }

        _restartedAt[restart.Workload] = now;
        _starting.Add(restart.Workload);
        var self = Self;
        TrackStarts(StartIfStillOnHostAsync(host, restart).ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully && t.Result is { } message)
                {
                    self.Tell(message);
                }

                self.Tell(new StartAnswered(restart.Workload));
            },
            TaskScheduler.Default));
    }

    /// <summary>Counts starts on their way until <paramref name="starts"/> ends; a cancel waits for none to be left.</summary>
    private void TrackStarts(Task starts)
    {
        _startsInFlight++;
        var self = Self;
        starts.ContinueWith(_ => self.Tell(StartsDone.Instance), TaskScheduler.Default);
    }

    private void OnCancel(CancelEvacuation cancel)
    {
        if (_host is null)
        {
            Sender.Tell(new UnknownEvacuation(_id));
            return;
        }

        if (_cancelReason is not null)
        {
            Sender.Tell(View()); // Idempotent.
            return;
        }

        if (_ended)
        {
            Sender.Tell(new EvacuationRejected(_id, $"evacuation {_id} of {_host} has ended (every workload's migration ended); nothing to cancel"));
            return;
        }

        if (_startsInFlight > 0)
        {
            Stash.Stash();
            return;
        }

        var replyTo = Sender;
        Persist(new EvacuationCancelled(_id, cancel.Reason, _settings.Time.GetUtcNow()), e =>
        {
            Apply(e);
            Publish();
            _log.Info("[{Evacuation}] evacuation of {Host} cancelled ({Reason}): {Pending} workload(s) pending", _id, _host, e.Reason, Pending);
            replyTo.Tell(View());
            Self.Tell(Poll.Instance); // abort now, not at the next tick
        });
    }

    private async Task<object?> StartIfStillOnHostAsync(HostId host, Restart restart)
    {
        var inventory = await _client.GetInventoryAsync().ConfigureAwait(false);
        if (!inventory.Inventory.VfsOf(restart.Workload).Any(v => v.Id.Host == host))
        {
            // The start thought lost may have arrived meanwhile and moved it: then the job's own migration moved it, and
            // its outcome is what that migration says, not "another migration" (the poll saw its id before it was written).
            var own = await _client.GetMigrationAsync(restart.Migration).ConfigureAwait(false);
            if (own.Value is { } view)
            {
                return view.IsTerminal ? EndedOf(restart.Workload, restart.Migration, view, null) : new Progressed(restart.Workload, view.State.ToString());
            }

            return new Ended(restart.Workload, restart.Migration, MovedState, $"no VF of it is on {host} any more: another migration moved it");
        }

        var started = await _client.StartMigrationAsync(restart.Migration, restart.Workload, null).ConfigureAwait(false);
        return started.Error is { } error && IsWaitable(error) ? new Progressed(restart.Workload, WaitingState) : null;
    }

    private void OnStart(StartEvacuation start)
    {
        if (_host is not null)
        {
            Sender.Tell(View()); // Idempotent: the same job id answers the job as it is.
            return;
        }

        var replyTo = Sender;
        PlanAsync(start.Host).PipeTo(Self, success: plan => new Planned(start.Host, plan, replyTo, null), failure: ex => new Planned(start.Host, [], replyTo, ex.Message));
        BecomeStacked(AwaitingPlan);
    }

    private void AwaitingPlan()
    {
        Command<Planned>(planned =>
        {
            UnbecomeStacked();
            Stash.UnstashAll();
            if (planned.Error is not null)
            {
                planned.ReplyTo.Tell(new EvacuationRejected(_id, planned.Error));
                return;
            }

            Persist(new EvacuationStarted(_id, planned.Host, planned.Plan, _settings.Time.GetUtcNow()), e =>
            {
                Apply(e);
                Publish();
                _log.Info("[{Evacuation}] evacuating {Host}: {Planned} workload(s)", _id, e.Host, e.Plan.Count);
                if (e.Plan.Count == 0)
                {
                    planned.ReplyTo.Tell(View());
                    Self.Tell(Finish.Instance); // Not a persist nested in this handler (see Finish).
                    return;
                }

                // Answer once every migration has been asked to start: a caller that follows the ids it gets back
                // must find them (GET /migrations/{id} answered 404 for an id whose start was still on its way).
                var view = View();
                var replyTo = planned.ReplyTo;
                var starts = StartMigrations();
                TrackStarts(starts);
                starts.ContinueWith(_ => replyTo.Tell(view), TaskScheduler.Default);
            });
        });
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>Cordons the host, then lists every workload that has a VF on it.</summary>
    private async Task<IReadOnlyList<EvacuationItem>> PlanAsync(HostId host)
    {
        var cordon = await _client.CordonAsync(host, true, $"evacuation {_id}").ConfigureAwait(false);
        if (!cordon.IsOk)
        {
            throw new InvalidOperationException(cordon.Error!.Message);
        }

        return await WorkloadsOnAsync(host, []).ConfigureAwait(false) ?? throw new InvalidOperationException($"host '{host}' is not in the inventory");
    }

    /// <summary>The workloads with a VF on <paramref name="host"/> (a majority read of the directory) not in <paramref name="known"/>; null for an unknown host.</summary>
    private async Task<IReadOnlyList<EvacuationItem>?> WorkloadsOnAsync(HostId host, HashSet<WorkloadId> known)
    {
        var inventory = await _client.GetInventoryAsync().ConfigureAwait(false);
        return inventory.Inventory.FindHost(host) is not { } hostInventory
            ? null
            : [.. hostInventory.Pfs.SelectMany(p => p.Vfs).Where(v => v.Workload is { } w && !known.Contains(w)).Select(v => v.Workload!.Value).Distinct().Order()
                .Select(w => new EvacuationItem(w, MigrationFor(_id, w)))];
    }

    /// <summary>
    /// Before the job ends: a migration placed on the host before its cordon may still be on its way (the plan could
    /// not name its workload), and one may have landed since. Reads the index and the directory from a majority.
    /// </summary>
    private async Task<Rechecked> RecheckAsync(IActorRef replicator, HostId host, HashSet<WorkloadId> known)
    {
        var timeout = _client.InventoryReadTimeout;
        var inFlight = await MigrationIndex.ReadAsync(replicator, new ReadMajority(timeout), timeout * 2).ConfigureAwait(false);
        var inbound = inFlight.Where(m => !m.IsTerminal && (m.Target == host || m.RequestedTarget == host) && !known.Contains(m.Workload)).Select(m => m.Id).ToList();
        return inbound.Count > 0
            ? new Rechecked(inbound, [], null)
            : new Rechecked([], await WorkloadsOnAsync(host, known).ConfigureAwait(false) ?? [], null);
    }

    private Task StartMigrations()
    {
        var self = Self;
        var starts = new List<Task>();
        foreach (var (workload, item) in _items.Where(kv => !IsEnd(kv.Value.State)).ToList())
        {
            // Starting an existing migration id answers it as it is: safe after a crash.
            _starting.Add(workload);
            starts.Add(_client.StartMigrationAsync(item.Migration, workload, null).ContinueWith(
                t =>
                {
                    if (t.IsCompletedSuccessfully && t.Result.Error is { } error && t.Result.Value is null)
                    {
                        // Another migration holds the workload (a manual one, another evacuation): wait for it to end,
                        // then move what is still on the host (see OnRestart). Anything else cannot start at all.
                        self.Tell(IsWaitable(error)
                            ? new Progressed(workload, WaitingState)
                            : new Ended(workload, item.Migration, "RolledBack", "not started: " + error.Message));
                    }

                    self.Tell(new StartAnswered(workload));
                },
                TaskScheduler.Default));
        }

        Timers.StartPeriodicTimer(PollTimer, Poll.Instance, _settings.PollInterval);
        return Task.WhenAll(starts);
    }

    /// <summary>Writes the job's view to the replicated index (listing); each change of a persisted fact.</summary>
    private void Publish()
    {
        if (_host is null)
        {
            return;
        }

        var view = View();
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        DistributedData.Get(Context.System).Replicator.Tell(
            Dsl.Update(EvacuationIndex.Key, LWWDictionary<string, EvacuationView>.Empty, WriteLocal.Instance, d => d.SetItem(self, _id, view)));
    }

    private void PollMigrations()
    {
        if (Pending == 0 && !_ended)
        {
            Self.Tell(Finish.Instance); // waiting for a migration that comes to the host (see RecheckAsync)
            return;
        }

        var self = Self;
        var cancel = _cancelReason;
        foreach (var (workload, item) in _items.Where(kv => !IsEnd(kv.Value.State) && !_starting.Contains(kv.Key)).ToList())
        {
            _client.GetMigrationAsync(item.Migration).ContinueWith(
                t =>
                {
                    if (t.IsCompletedSuccessfully && t.Result.Value is { IsTerminal: true } view)
                    {
                        // Also a withdrawal whose answer has not reached the job yet.
                        self.Tell(EndedOf(workload, item.Migration, view, cancel));
                    }
                    else if (t.IsCompletedSuccessfully && t.Result.Value is { } running)
                    {
                        self.Tell(new Progressed(workload, running.State.ToString()));
                        if (cancel is not null && IsAbortable(running.State))
                        {
                            // Idempotent, and repeated at each poll until the migration rolls back (a node that did
                            // not answer, a recovery in between); after Committed it is refused and completes.
                            _ = _client.AbortAsync(item.Migration, $"evacuation {_id} cancelled: {cancel}");
                        }
                    }
                    else if (t.IsCompletedSuccessfully && t.Result.Error is { Kind: ClientErrorKind.NotFound } && cancel is not null)
                    {
                        // Not found is not "never": a start whose answer the job stopped waiting for may still be on
                        // its way, or deciding. Withdraw the id (a tombstone the late start is refused by), then count
                        // it by what the coordinator answers.
                        Withdraw(self, workload, item.Migration, cancel);
                    }
                    else if (t.IsCompletedSuccessfully && t.Result.Error is { Kind: ClientErrorKind.NotFound })
                    {
                        // Its start was lost (a timeout under load, a node that died first): start it now; the
                        // derived id keeps this idempotent.
                        self.Tell(new Restart(workload, item.Migration));
                    }
                },
                TaskScheduler.Default);
        }
    }

    private void Withdraw(IActorRef self, WorkloadId workload, MigrationId migration, string cancel) =>
        _client.WithdrawAsync(migration, workload, $"evacuation {_id} cancelled before it started: {cancel}").ContinueWith(
            t =>
            {
                if (!t.IsCompletedSuccessfully || t.Result.Value is not { } view)
                {
                    return; // its start is deciding, or no answer: the next poll asks again
                }

                // Withdrawn (it never runs), ended, or the late start won: aborted at the next poll.
                self.Tell(view.IsTerminal ? EndedOf(workload, migration, view, cancel) : new Progressed(workload, view.State.ToString()));
            },
            TaskScheduler.Default);

    /// <summary>How an ended migration ends its workload in the job: Cancelled when it was withdrawn (ended without ever having been requested).</summary>
    private static Ended EndedOf(WorkloadId workload, MigrationId migration, MigrationView view, string? cancel) =>
        view.Timeline.Any(t => t.State == MigrationPhase.Requested)
            ? new Ended(workload, migration, view.State.ToString(), view.Reason)
            : new Ended(workload, migration, CancelledState, cancel);

    private void OnEnded(Ended ended)
    {
        if (!_items.TryGetValue(ended.Workload, out var item) || IsEnd(item.State))
        {
            return;
        }

        Persist(new WorkloadMigrationEnded(_id, ended.Workload, ended.Migration, ended.State, ended.Reason, _settings.Time.GetUtcNow()), e =>
        {
            Apply(e);
            Publish();
            if (Pending == 0 && !_ended)
            {
                Self.Tell(Finish.Instance);
            }
        });
    }

    /// <summary>
    /// Writes the end of the job from a message of its own, never from inside another persist's handler: nested
    /// persists left coordinators deaf (akka/akka#23781), and a job has no reason to take that risk.
    /// </summary>
    private void OnFinish()
    {
        if (Pending != 0 || _ended || _host is not { } host || _rechecking)
        {
            return;
        }

        if (_cancelReason is null && _extensions < _settings.MaxPlanExtensions)
        {
            _rechecking = true;
            var known = _items.Keys.ToHashSet();
            RecheckAsync(DistributedData.Get(Context.System).Replicator, host, known).PipeTo(Self, failure: e => new Rechecked([], [], e.GetBaseException().Message));
            return;
        }

        End();
    }

    private void OnRechecked(Rechecked recheck)
    {
        _rechecking = false;
        if (Pending != 0 || _ended)
        {
            return;
        }

        if (_cancelReason is not null)
        {
            End();
            return;
        }

        if (recheck.Error is not null || recheck.Inbound.Count > 0)
        {
            // Asked again at the next poll (the timer runs until the job ends); said once per change, not per poll.
            var waitingFor = $"{string.Join(", ", recheck.Inbound)} ({recheck.Error ?? "inbound migration(s) placed before the cordon"})";
            if (waitingFor != _waitingFor)
            {
                _waitingFor = waitingFor;
                _log.Info("[{Evacuation}] {Host}: every planned workload moved; waiting for {Inbound}", _id, _host, waitingFor);
            }

            if (!Timers.IsTimerActive(PollTimer))
            {
                Timers.StartPeriodicTimer(PollTimer, Poll.Instance, _settings.PollInterval);
            }

            return;
        }

        if (recheck.Arrived.Count == 0)
        {
            End();
            return;
        }

        Persist(new EvacuationPlanExtended(_id, recheck.Arrived, _settings.Time.GetUtcNow()), e =>
        {
            Apply(e);
            Publish();
            _log.Info("[{Evacuation}] {Host}: {Arrived} workload(s) arrived after the plan ({Workloads}); moving them too", _id, _host, e.Added.Count, string.Join(", ", e.Added.Select(i => i.Workload)));
            TrackStarts(StartMigrations());
        });
    }

    private void End()
    {
        var completed = _items.Values.Count(i => i.State == "Completed");
        Persist(new EvacuationEnded(_id, completed, _items.Count - completed, _settings.Time.GetUtcNow()), end =>
        {
            Apply(end);
            Publish();
            Timers.Cancel(PollTimer);
            _log.Info("[{Evacuation}] evacuation of {Host} ended: {Completed} completed, {NotMoved} not moved (rolled back or failed)", _id, _host, end.Completed, end.RolledBack);
        });
    }

    private void Apply(EvacuationStarted e)
    {
        _host = e.Host;
        _createdAt = e.At;
        _updatedAt = e.At;
        foreach (var item in e.Plan)
        {
            _items[item.Workload] = (item.Migration, "Requested", null);
        }
    }

    private void Apply(EvacuationPlanExtended e)
    {
        foreach (var item in e.Added)
        {
            _items[item.Workload] = (item.Migration, "Requested", null);
        }

        _extensions++;
        _updatedAt = e.At;
    }

    private void Apply(WorkloadMigrationEnded e)
    {
        _items[e.Workload] = (e.Migration, e.State, e.Reason);
        _updatedAt = e.At;
    }

    private void Apply(EvacuationEnded e)
    {
        _ended = true;
        _updatedAt = e.At;
    }

    private void Apply(EvacuationCancelled e)
    {
        _cancelReason = e.Reason;
        _updatedAt = e.At;
    }

    private EvacuationView View() => new(
        _id,
        _host!.Value,
        (_ended, _cancelReason) switch
        {
            (true, null) => "Completed",
            (true, _) => "Cancelled",
            (false, null) => "Running",
            (false, _) => "Cancelling",
        },
        _createdAt,
        _updatedAt,
        _items.Values.Count(i => i.State == "Completed"),
        _items.Values.Count(i => i.State == "RolledBack"),
        Pending,
        [.. _items.OrderBy(kv => kv.Key).Select(kv => new EvacuationWorkloadView(kv.Key, kv.Value.Migration, kv.Value.State, kv.Value.Reason))],
        _items.Values.Count(i => i.State == "Failed"),
        _items.Values.Count(i => i.State == CancelledState),
        _cancelReason);

    private sealed record Planned(HostId Host, IReadOnlyList<EvacuationItem> Plan, IActorRef ReplyTo, string? Error);

    private sealed record Finish
    {
        public static Finish Instance { get; } = new();
    }

    private sealed record Ended(WorkloadId Workload, MigrationId Migration, string State, string? Reason);

    private sealed record Restart(WorkloadId Workload, MigrationId Migration);

    /// <summary>The start of a workload's migration answered (whatever it answered).</summary>
    private sealed record StartAnswered(WorkloadId Workload);

    /// <summary>What the check before the end found: migrations still coming to the host, or workloads that arrived.</summary>
    private sealed record Rechecked(IReadOnlyList<MigrationId> Inbound, IReadOnlyList<EvacuationItem> Arrived, string? Error);

    private sealed record Progressed(WorkloadId Workload, string State);

    private sealed record Poll
    {
        public static Poll Instance { get; } = new();
    }

    private sealed record StartsDone
    {
        public static StartsDone Instance { get; } = new();
    }
}
