using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Inventory;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using static Orchestrator.Cluster.Hosts.HostEvents;
using static Orchestrator.Cluster.Hosts.HostProtocol;

namespace Orchestrator.Cluster.Hosts;

/// <summary>
/// One physical host, pinned to the node that runs on it. Owns a PF actor per PF of its device backend, remembers
/// what the devices cannot tell (which workload a VF serves, whether the host is cordoned) in its journal, and
/// publishes the host's inventory into the replicated directory that placement and the API read.
/// </summary>
/// <remarks>
/// Two ways into the directory. Most changes (slot counts, VF states mid-migration, a cordon) are coalesced for
/// <see cref="PublishDelay"/> and written locally, for gossip to spread. A change a PF is about to answer a migration
/// step or a VF command for (<see cref="PfProtocol.WriteDirectory"/>: a workload moved, a VF came or went) is written
/// at once with the host's whole entry to a majority of nodes, after the labels it persists, and the PF answers only
/// then: a majority read anywhere sees it as soon as anyone has heard the answer (DESIGN invariant 7), as long as a
/// majority is reachable. When none answers within the PF's directory timeout the PF is told anyway.
/// </remarks>
public sealed class HostActor : PersistentActor, IWithTimers
{
    private const string PublishTimer = "publish";
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(50);

    private readonly HostId _id;
    private readonly string _nodeName;
    private readonly IReadOnlyList<IPfDriver> _drivers;
    private readonly IReadOnlyDictionary<VfId, WorkloadId> _initialWorkloads;
    private readonly PfActorSettings _settings;
    private readonly IDeviceObserver _observer;
    private readonly ReconcilerSettings? _reconcilerSettings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<VfId, WorkloadId> _workloads = [];
    private readonly Dictionary<PfId, PfSnapshot> _pfs = [];
    private IActorRef _reconciler = ActorRefs.Nobody;
    private readonly HashSet<VfId> _labelled = []; // VFs whose label the journal sets or clears
    private bool _cordoned;

    public HostActor(
        HostId id,
        string nodeName,
        IReadOnlyList<IPfDriver> drivers,
        IReadOnlyDictionary<VfId, WorkloadId> initialWorkloads,
        PfActorSettings settings,
        IDeviceObserver observer,
        ReconcilerSettings? reconciler = null)
    {
        _id = id;
        _nodeName = nodeName;
        _drivers = drivers;
        _initialWorkloads = initialWorkloads;
        _settings = settings;
        _observer = observer;
        _reconcilerSettings = reconciler;
    }

    public override string PersistenceId => $"host-{_id}";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        HostId id,
        string nodeName,
        IReadOnlyList<IPfDriver> drivers,
        IReadOnlyDictionary<VfId, WorkloadId> initialWorkloads,
        PfActorSettings settings,
        IDeviceObserver observer,
        ReconcilerSettings? reconciler = null) =>
        Akka.Actor.Props.Create(() => new HostActor(id, nodeName, drivers, initialWorkloads, settings, observer, reconciler));

    /// <summary>The actor name of a host under its node's <c>/user/hosts</c>.</summary>
    public static string ActorName(HostId id) => id.ToString();

    protected override bool ReceiveRecover(object message)
    {
        switch (message)
        {
            case WorkloadAssigned assigned:
                _labelled.Add(assigned.Vf);
                Apply(assigned);
                return true;
            case CordonChanged cordon:
                _cordoned = cordon.Cordoned;
                return true;
            case RecoveryCompleted:
                StartPfs();
                return true;
            default:
                return false;
        }
    }

    protected override bool ReceiveCommand(object message)
    {
        switch (message)
        {
            case PfSnapshot snapshot:
                _pfs[snapshot.Inventory.Id] = snapshot;
                RememberWorkloads(snapshot);
                SchedulePublish();
                return true;
            case PfProtocol.WriteDirectory write:
                OnWriteDirectory(write);
                return true;
            case PublishNow:
                Publish();
                return true;
            case Cordon cordon:
                ChangeCordon(true, cordon.Reason);
                return true;
            case Uncordon:
                ChangeCordon(false, null);
                return true;
            case GetHostSnapshot:
                Sender.Tell(Snapshot());
                return true;
            case ReconcilerProtocol.ReconcileNow or ReconcilerProtocol.GetReconcileReport when _reconciler.IsNobody():
                Sender.Tell(new Status.Failure(new InvalidOperationException($"host {_id} runs no reconciler")));
                return true;
            case ReconcilerProtocol.ReconcileNow or ReconcilerProtocol.GetReconcileReport:
                _reconciler.Forward(message);
                return true;
            case UpdateSuccess { Request: DirectoryWrite done }:
                done.Pf.Tell(new PfProtocol.DirectoryWritten(done.Sequence, Majority: true));
                return true;
            case IUpdateResponse { Request: DirectoryWrite done } failed:
                _log.Warning("[{0}] directory entry for {1} not stored by a majority ({2}); other nodes may read it late", _id, done.PfId, failed.GetType().Name);
                done.Pf.Tell(new PfProtocol.DirectoryWritten(done.Sequence, Majority: false));
                return true;
            case IUpdateResponse:
                return true;
            default:
                return false;
        }
    }

    private void StartPfs()
    {
        // The topology says which workload each pre-created VF serves, until the journal says otherwise. Per VF, not
        // "only on the first start": the journal holds changes only, so a host whose journal had anything else (a cordon,
        // another VF's label) lost the topology's labels at its next restart, and a workload ran on no host.
        foreach (var (vf, workload) in _initialWorkloads.Where(kv => kv.Key.Pf.Host == _id && !_labelled.Contains(kv.Key)))
        {
            _workloads[vf] = workload;
        }

        var pfs = new Dictionary<PfId, IActorRef>();
        foreach (var driver in _drivers)
        {
            var pf = PfId.Of(_id, driver.Descriptor.Address);
            var labels = _workloads.Where(kv => kv.Key.Pf == pf).ToDictionary(kv => kv.Key.Index, kv => kv.Value);
            pfs[pf] = Context.ActorOf(PfActor.Props(pf, driver, labels, _settings, _observer), PfActorName(pf));
        }

        if (_reconcilerSettings is { } reconciler)
        {
            // After the PF actors: its start-up run inspects them.
            _reconciler = Context.ActorOf(HostReconciler.Props(_id, pfs, reconciler), "reconciler");
        }

        _log.Info("[{0}] host up on node {1} with {2} PF(s), cordoned={3}", _id, _nodeName, _drivers.Count, _cordoned);
    }

    private void RememberWorkloads(PfSnapshot snapshot)
    {
        var pf = snapshot.Inventory.Id;
        var present = snapshot.Inventory.Vfs.ToDictionary(v => v.Id, v => v.Workload);
        var changes = new List<WorkloadAssigned>();
        foreach (var (vf, workload) in present)
        {
            var known = _workloads.TryGetValue(vf, out var w) ? w : (WorkloadId?)null;
            if (known != workload)
            {
                changes.Add(new WorkloadAssigned(vf, workload));
            }
        }

        foreach (var gone in _workloads.Keys.Where(v => v.Pf == pf && !present.ContainsKey(v)).ToList())
        {
            changes.Add(new WorkloadAssigned(gone, null));
        }

        if (changes.Count > 0)
        {
            PersistAll(changes, Apply);
        }
    }

    private void Apply(WorkloadAssigned assigned)
    {
        if (assigned.Workload is { } workload)
        {
            _workloads[assigned.Vf] = workload;
        }
        else
        {
            _workloads.Remove(assigned.Vf);
        }
    }

    private void ChangeCordon(bool cordoned, string? reason)
    {
        var replyTo = Sender;
        if (_cordoned == cordoned)
        {
            replyTo.Tell(new CordonState(_id, _cordoned));
            return;
        }

        Persist(new CordonChanged(cordoned, reason, _settings.TimeProvider.GetUtcNow()), e =>
        {
            _cordoned = e.Cordoned;
            _log.Info("[{0}] {1}{2}", _id, e.Cordoned ? "cordoned" : "uncordoned", e.Reason is null ? string.Empty : ": " + e.Reason);
            SchedulePublish();
            replyTo.Tell(new CordonState(_id, _cordoned));
        });
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
        var snapshot = Snapshot();
        var replicator = DistributedData.Get(Context.System).Replicator;
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        replicator.Tell(Dsl.Update(
            InventoryKeys.Hosts,
            LWWDictionary<string, HostSnapshot>.Empty,
            consistency,
            request,
            d => d.SetItem(self, _id.ToString(), snapshot)));
    }

    private void OnWriteDirectory(PfProtocol.WriteDirectory write)
    {
        var pf = Sender;
        _pfs[write.Snapshot.Inventory.Id] = write.Snapshot;
        RememberWorkloads(write.Snapshot);

        // After the labels this change persists (if any): the directory never shows what the journal could still lose,
        // and nothing is lost behind it (the handler runs once those writes are done, before any other command).
        DeferAsync(write, w =>
        {
            Timers.Cancel(PublishTimer); // This write carries every change so far.
            WriteEntry(new WriteMajority(_settings.DirectoryWriteTimeout), new DirectoryWrite(pf, w.Snapshot.Inventory.Id, w.Sequence));
        });
    }

    private HostSnapshot Snapshot()
    {
        var pfs = _pfs.Values.OrderBy(p => p.Inventory.Id).ToList();
        var inventory = new HostInventory(_id, _nodeName, _cordoned, [.. pfs.Select(p => p.Inventory)]);
        return new HostSnapshot(
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

    private sealed record PublishNow
    {
        public static PublishNow Instance { get; } = new();
    }
}
