using Orchestrator.Chaos.Checker;
using Orchestrator.Cluster.History;

namespace Orchestrator.Chaos.Tests.Checker;

/// <summary>
/// Builds hand-made histories: each added record is stamped with the builder's clock (then advanced by
/// <see cref="Step"/>), a per-node seq, and the node that would write it (the VF's host for device records).
/// Host and PF are derived from canonical VF ids (<c>host-a/0000:3b:00.0/vf3</c>).
/// </summary>
internal sealed class HistoryBuilder
{
    public const string Coordinator = "host-c";
    public const string Client = "client";
    public const string Harness = "harness";

    public static readonly DateTimeOffset Origin = new(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly List<HistoryRecord> _records = [];
    private readonly Dictionary<string, long> _seqs = new(StringComparer.Ordinal);

    public DateTimeOffset Now { get; private set; } = Origin;

    public TimeSpan Step { get; init; } = TimeSpan.FromMilliseconds(1);

    public IReadOnlyList<HistoryRecord> Records => _records;

    public static string HostOf(string id) => id.Split('/')[0];

    public static string PfOf(string vf) => vf[..vf.LastIndexOf('/')];

    public HistoryBuilder Add(string node, HistoryRecord record)
    {
        var seq = _seqs.GetValueOrDefault(node);
        _seqs[node] = seq + 1;
        _records.Add(record with { Time = Now, Seq = seq, Node = node });
        Now += Step;
        return this;
    }

    public HistoryBuilder Wait(TimeSpan span)
    {
        Now += span;
        return this;
    }

    public HistoryBuilder Created(string vf, string? workload, string? migration = null, long? epoch = null, string? state = null) =>
        Add(HostOf(vf), new VfCreated
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            Kind = "vfio",
            Profile = "mlx5-migratable",
            Workload = workload,
            Migration = migration,
            Epoch = epoch,
            State = state,
        });

    public HistoryBuilder Destroyed(string vf, string? workload, string? migration = null, long? epoch = null) =>
        Add(HostOf(vf), new VfDestroyed { Host = HostOf(vf), Pf = PfOf(vf), Vf = vf, Workload = workload, Migration = migration, Epoch = epoch });

    public HistoryBuilder State(string vf, string from, string to, string? workload, string? migration = null, long? epoch = null) =>
        Add(HostOf(vf), new VfStateChanged
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            From = from,
            To = to,
            Workload = workload,
            Migration = migration,
            Epoch = epoch,
        });

    public HistoryBuilder Reset(string vf, string from, bool detached, string? workload, string? migration = null, long? epoch = null) =>
        Add(HostOf(vf), new VfReset
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            From = from,
            Detached = detached,
            Workload = workload,
            Migration = migration,
            Epoch = epoch,
        });

    public HistoryBuilder Saved(string vf, string migration, long epoch, long bytes, string checksum, string? pair = null) =>
        Add(HostOf(vf), new StateSaved
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            Migration = migration,
            Epoch = epoch,
            Bytes = bytes,
            Checksum = checksum,
            Pair = pair,
        });

    public HistoryBuilder Loaded(string vf, string migration, long epoch, long bytes, string checksum, string? pair = null) =>
        Add(HostOf(vf), new StateLoaded
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            Migration = migration,
            Epoch = epoch,
            Bytes = bytes,
            Checksum = checksum,
            Pair = pair,
        });

    public HistoryBuilder Fenced(string vf, string migration, long epoch, long currentEpoch, string command) =>
        Add(HostOf(vf), new CommandFenced
        {
            Host = HostOf(vf),
            Pf = PfOf(vf),
            Vf = vf,
            Migration = migration,
            Epoch = epoch,
            CurrentEpoch = currentEpoch,
            Command = command,
        });

    public HistoryBuilder Slot(string pf, string migration, SlotOp op, SlotKind kind, long? epoch = null) =>
        Add(HostOf(pf), new SlotChanged { Host = HostOf(pf), Pf = pf, Migration = migration, Op = op, Kind = kind, Epoch = epoch });

    public HistoryBuilder Reservation(string pf, string migration, ReservationOp op, long? epoch = null) =>
        Add(Coordinator, new ReservationChanged { Host = HostOf(pf), Pf = pf, Migration = migration, Op = op, Epoch = epoch });

    public HistoryBuilder Migration(string migration, string workload, string state, long epoch, string sourceHost, string? targetHost, string? reason = null) =>
        Add(Coordinator, new MigrationStateChanged
        {
            Migration = migration,
            Workload = workload,
            State = state,
            Epoch = epoch,
            SourceHost = sourceHost,
            TargetHost = targetHost,
            Reason = reason,
        });

    public HistoryBuilder ClientOp(string op, ClientOutcome outcome, string? workload, string? migration, DateTimeOffset start, string? detail = null) =>
        Add(Client, new ClientOperation
        {
            Op = op,
            Outcome = outcome,
            Workload = workload,
            Migration = migration,
            Start = start,
            End = Now,
            Detail = detail,
        });

    /// <summary>A <c>delete-vf</c> call sent at <paramref name="start"/> that ends now.</summary>
    public HistoryBuilder DeleteVf(string vf, bool force, ClientOutcome outcome, DateTimeOffset start) =>
        Add(Client, new ClientOperation { Op = "delete-vf", Vf = vf, Pf = PfOf(vf), Force = force, Outcome = outcome, Start = start, End = Now });

    public HistoryBuilder Cleaned(string vf, string action, string? migration, string reason) =>
        Add(HostOf(vf), new LeftoverCleanedRecord { Host = HostOf(vf), Pf = PfOf(vf), Vf = vf, Migration = migration, Action = action, Reason = reason });

    public HistoryBuilder Fault(string kind, string target, DateTimeOffset start, DateTimeOffset? end, string? id = null) =>
        Add(Harness, new FaultInjected { Id = id, Kind = kind, Target = target, Start = start, End = end });

    /// <summary>Drops every record matching <paramref name="match"/>; fails the test when none does, so a mutation cannot silently miss.</summary>
    public HistoryBuilder Without(Func<HistoryRecord, bool> match)
    {
        Assert.True(_records.RemoveAll(r => match(r)) > 0, "Without: no record matched");
        return this;
    }

    /// <summary>Replaces every record matching <typeparamref name="T"/> and <paramref name="match"/>; fails when none does.</summary>
    public HistoryBuilder Map<T>(Func<T, bool> match, Func<T, HistoryRecord> change)
        where T : HistoryRecord
    {
        var hits = 0;
        for (var i = 0; i < _records.Count; i++)
        {
            if (_records[i] is T r && match(r))
            {
                var changed = change(r);
                _records[i] = changed with { Time = r.Time, Seq = r.Seq, Node = r.Node };
                hits++;
            }
        }

        Assert.True(hits > 0, $"Map<{typeof(T).Name}>: no record matched");
        return this;
    }

    /// <summary>Inserts <paramref name="record"/> written by <paramref name="node"/> 100 µs after the first record matching <paramref name="match"/>.</summary>
    public HistoryBuilder InsertAfter(Func<HistoryRecord, bool> match, string node, HistoryRecord record)
    {
        var at = _records.FindIndex(r => match(r));
        Assert.True(at >= 0, "InsertAfter: no record matched");
        var seq = _seqs.GetValueOrDefault(node);
        _seqs[node] = seq + 1;
        _records.Insert(at + 1, record with { Time = _records[at].Time + TimeSpan.FromMicroseconds(100), Seq = seq, Node = node });
        return this;
    }

    public CheckReport Check(CheckOptions? options = null) => HistoryChecker.Check(_records, options);
}
