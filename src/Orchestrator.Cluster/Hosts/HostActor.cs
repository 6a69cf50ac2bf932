using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using static Orchestrator.Cluster.Hosts.HostEvents;
using static Orchestrator.Cluster.Hosts.HostProtocol;

namespace Orchestrator.Cluster.Hosts;

/// <summary>
/// One physical host, pinned to the node that runs on it. Owns a PF actor per PF of its device backend, remembers
/// what the devices cannot tell (which workload a VF serves, whether the host is cordoned) in its journal, and
/// publishes the host's inventory into the replicated directory that placement and the API read.
/// </summary>
/// <remarks>
/// <para>
/// The journal is a child (<see cref="HostJournal"/>) under its own backoff supervisor, not this actor: a failed
/// journal write or recovery stops an Akka.Persistence actor for good, and with it used to go the host, its PF actors
/// and every migration session on them. Now the journal alone restarts with backoff; each incarnation reports what it
/// holds, and the host records again what got lost (it keeps what it has asked the journal to hold).
/// </para>
/// <para>
/// Two ways into the directory. Most changes (slot counts, VF states mid-migration, a cordon) are coalesced for
/// <see cref="PublishDelay"/> and written locally, for gossip to spread. A change a PF is about to answer a migration
/// step or a VF command for (<see cref="PfProtocol.WriteDirectory"/>: a workload moved, a VF came or went) is written
/// at once with the host's whole entry to a majority of nodes, after the journal confirmed the labels it changes, and
/// the PF answers only then: a majority read anywhere sees it as soon as anyone has heard the answer (DESIGN
/// invariant 7), as long as a majority is reachable. When none answers within the PF's directory timeout the PF is
/// told anyway.
/// </para>
/// </remarks>
public sealed class HostActor : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private const string PublishTimer = "publish";
    private const string MajorityWriteTimer = "majority-write";

    /// <summary>
    /// Times a failed rewrite of the entry for a node that came up is made again: each fails after the directory write
    /// timeout (3 s), so ~30 s for a new node to learn the membership and start its replicator on a loaded machine; then
    /// gossip brings the entry (a node that stays unreachable fails every write, so the count is bounded).
    /// </summary>
    private const int JoinRewrites = 10;
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a journal write may stay unconfirmed before the journal actor is restarted.</summary>
    private static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(10);

    private readonly HostId _id;
    private readonly string _nodeName;
    private readonly IReadOnlyList<IPfDriver> _drivers;
    private readonly IReadOnlyDictionary<VfId, WorkloadId> _initialWorkloads;
    private readonly PfActorSettings _settings;
    private readonly IDeviceObserver _observer;
    private readonly ReconcilerSettings? _reconcilerSettings;
    private readonly int _snapshotEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<VfId, WorkloadId> _recorded = []; // labels as the journal holds them once every Record sent is confirmed
    private readonly Dictionary<PfId, PfReport> _pfs = [];
    private readonly List<(long Needs, IActorRef Pf, PfProtocol.WriteDirectory Write)> _waiting = []; // directory writes waiting for the journal
    private readonly List<(long Needs, IActorRef ReplyTo, bool Cordoned)> _cordonWaiters = [];
    private readonly List<DirectoryWrite> _unwritten = []; // ready for the next majority write
    private DirectoryWrites? _majorityWriting; // the majority write of the entry under way
    private bool _memberJoined; // a node came up since the last majority write started: the entry goes to it too
    private int _joinRewritesLeft; // how many more times a failed write for a joined node is made again
    private IActorRef _journal = ActorRefs.Nobody;
    private IActorRef _reconciler = ActorRefs.Nobody;
    private long _sent; // sequence of the last Record sent to the journal
    private long _confirmed; // every Record up to this one is durable (or was sent again after a journal restart)
    private bool _cordoned; // as the journal confirmed it: what the directory shows
    private bool _cordonRecorded; // as last asked of the journal
    private string? _cordonReason;
    private long _cordonSent; // sequence of the Record that carries the last cordon change asked for

    public HostActor(HostActorSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _snapshotEvery = setup.SnapshotEvery;
        _id = setup.Id;
        _nodeName = setup.NodeName;
        _drivers = setup.Drivers;
        _initialWorkloads = setup.InitialWorkloads;
        _settings = setup.Settings;
        _observer = setup.Observer;
        _reconcilerSettings = setup.Reconciler;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    public static Props Props(HostActorSetup setup) => Akka.Actor.Props.Create(() => new HostActor(setup));

    /// <summary>The actor name of a host under its node's <c>/user/hosts</c>.</summary>
    public static string ActorName(HostId id) => id.ToString();

    protected override void PreStart()
    {
        _journal = Context.ActorOf(HostJournal.SupervisedProps(_id, Self, JournalTimeout, _snapshotEvery), "journal");
        // A snapshot, not events: the members up before this host started count in its first majority write.
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>Until the journal has recovered once: the PF actors start with its labels.</summary>
    protected override void OnReceive(object message)
    {
        if (message is HostJournal.Recovered recovered)
        {
            _cordoned = _cordonRecorded = recovered.Cordoned;
            ResetLabels(recovered);
            StartPfs();
            Become(Running);
            Stash.UnstashAll();
        }
        else
        {
            Stash.Stash();
        }
    }

    private void Running(object message)
    {
        switch (message)
        {
            case PfReport report:
                _pfs[report.Inventory.Id] = report;
                RememberWorkloads(report);
                SchedulePublish();
                break;
            case PfProtocol.WriteDirectory write:
                OnWriteDirectory(write);
                break;
            case HostJournal.Recorded recorded:
                OnRecorded(recorded.Sequence);
                break;
            case HostJournal.Recovered recovered:
                OnJournalRestarted(recovered);
                break;
            case PublishNow:
                Publish();
                break;
            case Cordon cordon:
                ChangeCordon(true, cordon.Reason);
                break;
            case Uncordon:
                ChangeCordon(false, null);
                break;
            case GetHostEntry:
                Sender.Tell(Entry());
                break;
            case ReconcilerProtocol.ReconcileNow or ReconcilerProtocol.GetReconcileReport when _reconciler.IsNobody():
                Sender.Tell(new Status.Failure(new InvalidOperationException($"host {_id} runs no reconciler")));
                break;
            case ReconcilerProtocol.ReconcileNow or ReconcilerProtocol.GetReconcileReport:
                _reconciler.Forward(message);
                break;
            case UpdateSuccess { Request: DirectoryWrites done }:
                MajorityWritten(done, majority: true, why: null);
                break;
            case IUpdateResponse { Request: DirectoryWrites done } failed:
                MajorityWritten(done, majority: false, failed.GetType().Name);
                break;
            case MajorityWriteUnanswered unanswered:
                MajorityWritten(unanswered.Writes, majority: false, "no answer from the replicator");
                break;
            case IUpdateResponse:
                break;
            case ClusterEvent.MemberUp up when up.Member.UniqueAddress != Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress:
                OnMemberUp();
                break;
            case ClusterEvent.MemberUp or ClusterEvent.CurrentClusterState:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// The labels the journal holds: the topology's for every pre-created VF the journal never labelled (per VF, not
    /// "only on the first start": the journal holds changes only, so a host whose journal had anything else, a cordon
    /// or another VF's label, lost the topology's labels at its next restart, and a workload ran on no host).
    /// </summary>
    private void ResetLabels(HostJournal.Recovered recovered)
    {
        _recorded.Clear();
        foreach (var (vf, workload) in _initialWorkloads.Where(kv => kv.Key.Pf.Host == _id && !recovered.Labels.ContainsKey(kv.Key)))
        {
            _recorded[vf] = workload;
        }

        foreach (var (vf, workload) in recovered.Labels)
        {
            if (workload is { } w)
            {
                _recorded[vf] = w;
            }
        }
    }

    private void StartPfs()
    {
        var pfs = new Dictionary<PfId, IActorRef>();
        foreach (var driver in _drivers)
        {
            var pf = PfId.Of(_id, driver.Descriptor.Address);
            var labels = _recorded.Where(kv => kv.Key.Pf == pf).ToDictionary(kv => kv.Key.Index, kv => kv.Value);
            pfs[pf] = Context.ActorOf(PfActor.Props(pf, driver, labels, _settings, _observer), PfActorName(pf));
        }

        if (_reconcilerSettings is { } reconciler)
        {
            // After the PF actors: its start-up run inspects them. Under a backoff supervisor: a failed journal write
            // stops a persistent actor, and the reconciler is one.
            _reconciler = Context.ActorOf(HostReconciler.SupervisedProps(_id, pfs, reconciler), "reconciler");
        }

        _log.Info("[{Host}] host up on node {Node} with {Pfs} PF(s), cordoned={Cordoned}", _id, _nodeName, _drivers.Count, _cordoned);
    }

    /// <summary>Records in the journal how the workloads of <paramref name="report"/>'s PF differ from what it holds.</summary>
    private void RememberWorkloads(PfReport report)
    {
        var pf = report.Inventory.Id;
        var present = report.Inventory.Vfs.ToDictionary(v => v.Id, v => v.Workload);
        var changes = new List<IHostEvent>();
        foreach (var (vf, workload) in present)
        {
            var known = _recorded.TryGetValue(vf, out var w) ? w : (WorkloadId?)null;
            if (known != workload)
            {
                changes.Add(new WorkloadAssigned(vf, workload));
                if (workload is { } now)
                {
                    _recorded[vf] = now;
                }
                else
                {
                    _recorded.Remove(vf);
                }
            }
        }

        foreach (var gone in _recorded.Keys.Where(v => v.Pf == pf && !present.ContainsKey(v)).ToList())
        {
            changes.Add(new WorkloadAssigned(gone, null));
            _recorded.Remove(gone);
        }

        Record(changes);
    }

    private void Record(List<IHostEvent> events)
    {
        if (events.Count > 0)
        {
            _journal.Tell(new HostJournal.Record(events, ++_sent));
        }
    }

    private void OnRecorded(long sequence)
    {
        if (sequence <= _confirmed)
        {
            return; // from an incarnation before the last restart: what it wrote was reported by the next one
        }

        _confirmed = sequence;
        ReleaseWaiting();
    }

    /// <summary>
    /// The journal restarted after a failure: what it reports is what is durable. Send again whatever differs from what
    /// the PFs show (labels) or was asked for (the cordon); everything waiting now waits for that.
    /// </summary>
    private void OnJournalRestarted(HostJournal.Recovered recovered)
    {
        _log.Warning("[{Host}] host journal restarted; recording again what it lost", _id);
        _confirmed = _sent; // no confirmation of an earlier Record counts any more
        ResetLabels(recovered);
        foreach (var report in _pfs.Values)
        {
            RememberWorkloads(report);
        }

        if (recovered.Cordoned != _cordonRecorded)
        {
            Record([new CordonChanged(_cordonRecorded, _cordonReason, _settings.TimeProvider.GetUtcNow())]);
            _cordonSent = _sent;
        }

        for (var i = 0; i < _waiting.Count; i++)
        {
            _waiting[i] = _waiting[i] with { Needs = _sent };
        }

        for (var i = 0; i < _cordonWaiters.Count; i++)
        {
            _cordonWaiters[i] = _cordonWaiters[i] with { Needs = _sent };
        }

        ReleaseWaiting();
    }

    private void ReleaseWaiting()
    {
        if (_cordoned != _cordonRecorded && _cordonSent <= _confirmed)
        {
            _cordoned = _cordonRecorded;
            _log.Info("[{Host}] {Cordon}: {Reason}", _id, _cordoned ? "cordoned" : "uncordoned", _cordonReason ?? "no reason given");
            SchedulePublish();
        }

        foreach (var (_, replyTo, cordoned) in _cordonWaiters.Where(w => w.Needs <= _confirmed))
        {
            replyTo.Tell(new CordonState(_id, cordoned)); // what it asked for is durable (a later request may change it)
        }

        _cordonWaiters.RemoveAll(w => w.Needs <= _confirmed);
        var ready = _waiting.TakeWhile(w => w.Needs <= _confirmed).ToList();
        if (ready.Count == 0)
        {
            return;
        }

        _waiting.RemoveRange(0, ready.Count);
        _unwritten.AddRange(ready.Select(r => new DirectoryWrite(r.Pf, r.Write.Report.Inventory.Id, r.Write.Sequence)));
        WriteMajority();
    }

    /// <summary>
    /// One majority write of the whole entry at a time, for every PF change ready when it starts (group commit): the
    /// entry carries every change so far, and a majority write sends the whole directory to every other node, so one
    /// write per PF change made a burst of migrations queue thousands of them in the replicator, which then answered
    /// nothing else (an API's idempotency read) for seconds. What becomes ready meanwhile goes in the next write.
    /// </summary>
    private void WriteMajority()
    {
        if (_majorityWriting is not null || (_unwritten.Count == 0 && !_memberJoined))
        {
            return;
        }

        Timers.Cancel(PublishTimer); // The write carries every change so far.
        _majorityWriting = new DirectoryWrites([.. _unwritten], _memberJoined);
        _unwritten.Clear();
        _memberJoined = false;
        WriteEntry(new WriteMajority(_settings.DirectoryWriteTimeout), _majorityWriting);
        // The replicator answers every write within its timeout; should an answer be lost, the next write must not
        // wait for it forever.
        Timers.StartSingleTimer(MajorityWriteTimer, new MajorityWriteUnanswered(_majorityWriting), _settings.DirectoryWriteTimeout * 2);
    }

    private void MajorityWritten(DirectoryWrites done, bool majority, string? why)
    {
        if (!ReferenceEquals(done, _majorityWriting))
        {
            return; // answered already (a late answer after the guard, or the guard after a late answer)
        }

        if (!majority)
        {
            var what = done.Writes.Count == 0 ? "rewritten for a node that joined" : "for " + string.Join(", ", done.Writes.Select(w => w.PfId).Distinct());
            _log.Warning("[{Host}] directory entry {What} not stored by a majority ({Failure}); other nodes may read it late", _id, what, why);
        }

        foreach (var write in done.Writes)
        {
            write.Pf.Tell(new PfProtocol.DirectoryWritten(write.Sequence, majority));
        }

        if (done.ForJoinedNode && !majority && _joinRewritesLeft > 0)
        {
            // The new node's replicator ignores a write from a node it does not know yet as a member, and it may
            // learn of this one after this one learnt of it. Bounded: a node that stays unreachable fails every write.
            _joinRewritesLeft--;
            _memberJoined = true;
        }

        Timers.Cancel(MajorityWriteTimer);
        _majorityWriting = null;
        WriteMajority();
    }

    /// <summary>
    /// A node came up: the entry is written again to a majority of the members now. A majority write counts the members
    /// of its moment, so what this host wrote while its node was alone (a cluster forming) or while a node that has
    /// since restarted with an empty replica held it reached no one, and a majority read on the new members could miss
    /// it: a request for one of its VFs answered "not in the inventory" until gossip spread the key (up to ~10 s).
    /// Group-committed with the PF changes like any majority write.
    /// </summary>
    private void OnMemberUp()
    {
        _memberJoined = true;
        _joinRewritesLeft = JoinRewrites;
        WriteMajority();
    }

    private void ChangeCordon(bool cordoned, string? reason)
    {
        if (_cordonRecorded != cordoned)
        {
            _cordonRecorded = cordoned;
            _cordonReason = reason;
            Record([new CordonChanged(cordoned, reason, _settings.TimeProvider.GetUtcNow())]);
            _cordonSent = _sent;
        }

        _cordonWaiters.Add((_cordonSent, Sender, cordoned));
        ReleaseWaiting();
    }

    private void SchedulePublish()
    {
        // Coalesce: a migration step changes several PFs at once, and a host may hold thousands of VFs.
        if (!Timers.IsTimerActive(PublishTimer))
        {
            Timers.StartSingleTimer(PublishTimer, PublishNow.Instance, PublishDelay);
        }
    }

    private void Publish() => WriteEntry(WriteLocal.Instance, request: null);

    /// <summary>Writes this host's whole directory entry as it is now, with <paramref name="consistency"/>.</summary>
    private void WriteEntry(IWriteConsistency consistency, object? request)
    {
        var entry = Entry();
        var replicator = DistributedData.Get(Context.System).Replicator;
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        replicator.Tell(Dsl.Update(
            HostDirectory.KeyOf(_id),
            LWWDictionary<string, HostEntry>.Empty,
            consistency,
            request,
            d => d.SetItem(self, _id.ToString(), entry)));
    }

    private void OnWriteDirectory(PfProtocol.WriteDirectory write)
    {
        _pfs[write.Report.Inventory.Id] = write.Report;
        RememberWorkloads(write.Report);

        // After the labels it changes are durable (and every Record before them, in order): the directory never shows
        // what the journal could still lose.
        _waiting.Add((_sent, Sender, write));
        ReleaseWaiting();
    }

    private HostEntry Entry()
    {
        var pfs = _pfs.Values.OrderBy(p => p.Inventory.Id).ToList();
        var inventory = new HostInventory(_id, _nodeName, _cordoned, [.. pfs.Select(p => p.Inventory)]);
        return new HostEntry(
            inventory,
            Self,
            pfs.ToDictionary(p => p.Inventory.Id, p => p.Pf),
            pfs.SelectMany(p => p.VfMigrations).ToDictionary(kv => kv.Key, kv => kv.Value),
            pfs.Sum(p => p.QueuedMigrations),
            _settings.TimeProvider.GetUtcNow());
    }

    private static string PfActorName(PfId pf) => "pf-" + pf.Address.Replace(':', '-');

    /// <summary>Who to tell when a majority write is done.</summary>
    private sealed record DirectoryWrite(IActorRef Pf, PfId PfId, long Sequence);

    /// <summary>
    /// The PF changes one majority write carries, and whether it is also the entry's rewrite for a node that came up
    /// (compared by reference: each write is its own).
    /// </summary>
    private sealed class DirectoryWrites(IReadOnlyList<DirectoryWrite> writes, bool forJoinedNode)
    {
        public IReadOnlyList<DirectoryWrite> Writes { get; } = writes;

        public bool ForJoinedNode { get; } = forJoinedNode;
    }

    private sealed record MajorityWriteUnanswered(DirectoryWrites Writes);

    private sealed record PublishNow
    {
        public static PublishNow Instance { get; } = new();
    }
}
