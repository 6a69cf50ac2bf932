using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Cluster.Persistence;
using static Orchestrator.Cluster.Hosts.HostEvents;

namespace Orchestrator.Cluster.Hosts;

/// <summary>
/// The journal of one host (persistence id <c>host-{id}</c>): which workload each VF serves and whether the host is
/// cordoned, what the devices cannot tell. It runs as a child of its own backoff supervisor under the host actor:
/// Akka.Persistence stops an actor whose write or recovery fails (the database is down), and only this actor stops,
/// not the host with its PF actors and their running migration sessions. The supervisor starts it again with backoff;
/// each incarnation tells the host what the journal really holds (<see cref="Recovered"/>), and the host sends again
/// what got lost.
/// </summary>
public sealed class HostJournal : ReceivePersistentActor
{
    private readonly HostId _host;
    private readonly IActorRef _owner;
    private readonly JournalWatchdog _watchdog;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<VfId, WorkloadId?> _labels = [];
    private readonly int _snapshotEvery;
    private bool _cordoned;

    /// <summary>A journal for <paramref name="host"/> that reports to <paramref name="owner"/>.</summary>
    public HostJournal(HostId host, IActorRef owner, TimeSpan journalTimeout, int snapshotEvery)
    {
        _snapshotEvery = Math.Max(1, snapshotEvery);
        _host = host;
        _owner = owner;
        _watchdog = new JournalWatchdog(Context, journalTimeout, $"host {host} journal", "host");
        Recover<IHostEvent>(Apply);
        Recover<SnapshotOffer>(offer => Apply((HostJournalSnapshot)offer.Snapshot));
        Recover<RecoveryCompleted>(_ => _owner.Tell(new Recovered(new Dictionary<VfId, WorkloadId?>(_labels), _cordoned)));
        Command<Record>(OnRecord);
        Command<SaveSnapshotSuccess>(saved =>
        {
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning("host {Host} journal: snapshot not stored ({Reason}); the events stay", _host, failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(_ => { }); // the next snapshot deletes them
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }


    /// <inheritdoc />
    public override string PersistenceId => $"host-{_host}";

    /// <summary>The journal under a backoff supervisor (restarts 200 ms to 5 s apart, forever).</summary>
    public static Props SupervisedProps(HostId host, IActorRef owner, TimeSpan journalTimeout, int snapshotEvery) =>
        JournalBackoff.Supervise(Props.Create(() => new HostJournal(host, owner, journalTimeout, snapshotEvery)), "journal");

    private void OnRecord(Record record)
    {
        var ticket = _watchdog.Arm();
        PersistAll(record.Events, Apply);
        DeferAsync(record.Sequence, sequence =>
        {
            _watchdog.Confirm(ticket);
            _owner.Tell(new Recorded(sequence));
            if (LastSequenceNr / _snapshotEvery > (LastSequenceNr - record.Events.Count) / _snapshotEvery)
            {
                SaveSnapshot(new HostJournalSnapshot(
                    [.. _labels.OrderBy(kv => kv.Key).Select(kv => new WorkloadAssigned(kv.Key, kv.Value))],
                    _cordoned,
                    DateTimeOffset.UtcNow));
            }
        });
    }

    private void Apply(IHostEvent e)
    {
        switch (e)
        {
            case WorkloadAssigned assigned:
                _labels[assigned.Vf] = assigned.Workload;
                break;
            case CordonChanged cordon:
                _cordoned = cordon.Cordoned;
                break;
            case HostJournalSnapshot snapshot:
                foreach (var label in snapshot.Labels)
                {
                    Apply(label);
                }

                _cordoned = snapshot.Cordoned;
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Warning("host {Host} journal: write failed ({Reason}); restarting with backoff, the host sends what was lost again", _host, cause.Message);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _watchdog.Stop();
        base.PostStop();
    }

    /// <summary>Persist these events (in order); answered <see cref="Recorded"/> with the same sequence once durable.</summary>
    public sealed record Record(IReadOnlyList<IHostEvent> Events, long Sequence);

    /// <summary>Every <see cref="Record"/> up to this sequence is durable.</summary>
    public sealed record Recorded(long Sequence);

    /// <summary>
    /// What the journal holds, told by each incarnation when its recovery is done: the label of every VF the journal
    /// ever labelled (null when it was cleared), and the cordon. Anything recorded before and not in here was lost.
    /// </summary>
    public sealed record Recovered(IReadOnlyDictionary<VfId, WorkloadId?> Labels, bool Cordoned);
}
