using System.Collections.Immutable;
using System.Diagnostics;
using System.IO.Compression;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.DistributedData.Internal;
using Microsoft.Data.Sqlite;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Hosts;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using static Orchestrator.Cluster.Migrations.PlacementProtocol;

namespace Orchestrator.Bench;

/// <summary>
/// The figures of issue 15 ("months of operation"): what a node holds after many migrations, against the same after 100.
/// Both in-process: the replicated migration index's serialized size against the remoting frame, and the placement
/// authority's recovery time on a journal that many migrations wrote.
/// </summary>
internal sealed class LongRunFigures(BenchOptions options, BenchReport report)
{
    /// <summary>The real migrations whose views the synthetic index is made of (and the baseline index).</summary>
    private const int BaselineMigrations = 100;

    /// <summary>Hosts, and NVMe workloads on each, of the node whose directory the placement authority reads.</summary>
    private const int AuthorityHosts = 8;

    private const int WorkloadsPerHost = 32;

    /// <summary>
    /// Timed starts of a fresh authority per journal (after one discarded). One takes 3–45 ms here, so a single slow
    /// start moved a median of 3. (What moves the figure between runs is the journal: README, Benchmarks.)
    /// </summary>
    private const int FreshStarts = 9;

    /// <summary>The placement authority's persistence id.</summary>
    private const string AuthorityId = "placement-authority";

    /// <summary>
    /// Time between two migrations in the histories made here: one a second, so 50 000 take 14 h, within the index's
    /// 24 h window (its cap of 10 000 ended views binds, the most it can hold).
    /// </summary>
    private static readonly TimeSpan Spacing = TimeSpan.FromSeconds(1);

    /// <summary>
    /// index_bytes_after_50k_over_frame: the serialized size of the index a node holds after 50 000 ended migrations
    /// (quick: 20 000; the default cap of 10 000 ended views binds either way) over the remoting frame size of the node.
    /// </summary>
    public async Task IndexAsync()
    {
        var count = options.Quick ? 20_000 : 50_000;
        await using var cluster = InProcCluster.Create();
        var (real, templates) = await RealIndexAsync(cluster);
        var system = cluster.Nodes[0].System;
        var frame = system.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? throw new InvalidOperationException("the node sets no akka.remote.dot-netty.tcp.maximum-frame-size");
        var node = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;

        var baseline = Measure(system, real);
        var watch = Stopwatch.StartNew();
        var synthetic100 = Measure(system, BuildIndex(templates, BaselineMigrations, node));
        var index = BuildIndex(templates, count, node);
        var built = watch.Elapsed;
        var large = Measure(system, index);
        var perView = large.Bytes / (double)large.Views;
        report.Add("index_bytes_after_50k_over_frame", large.Message / (double)frame, "≤ 0.5", v => v <= 0.5,
            $"index after {count} ended migrations (one every {Stats.F(Spacing.TotalSeconds, "0.#")} s, trimmed by IndexRetention.Default {Stats.F(IndexRetention.Default.Window.TotalHours, "0.#")} h / {IndexRetention.Default.MaxEnded} as MigrationKeeper does → {large.Views} views "
            + $"over {MigrationIndex.ShardCount} keys): its largest message, a gossip of its {large.PerGossip} largest keys (max-delta-elements) {large.Gossip} B, largest key {large.Largest} B / maximum-frame-size {frame} B (all keys {large.Bytes} B, {large.Serializer}, gzip; {large.Uncompressed} B before gzip); {Stats.F(perView, "0")} B per ended view; "
            + $"baseline after {BaselineMigrations} real migrations: largest message {baseline.Message} B ({Stats.F(baseline.Bytes / (double)baseline.Views, "0")} B per view) / {frame} B = {Stats.F(baseline.Message / (double)frame, "0.###")}");
        report.Note($"index: views of {count} migrations made from the {templates.Count} real views (distinct ids, workloads and times; each a real migration's timeline shifted) in {Stats.F(built.TotalSeconds, "0.0")} s; "
            + $"the same made from 100: {synthetic100.Bytes} B against {baseline.Bytes} B for the real index; round trip through the serializer: {large.RoundTripViews} views read back in {Stats.F(large.ReadMs, "0")} ms");
        report.Note($"index: at {Stats.F(perView, "0")} B per ended view, half a frame ({frame / 2} B) holds {Stats.F(frame / 2 / perView, "0")} ended views and a whole frame {Stats.F(frame / perView, "0")}; the default retention keeps up to {IndexRetention.Default.MaxEnded}, "
            + $"{Stats.F(IndexRetention.Default.MaxEnded / (double)MigrationIndex.ShardCount, "0")} per key on average");
    }

    /// <summary>
    /// Runs <see cref="BaselineMigrations"/> real migrations (tiny NVMe stop-and-copy and small mlx5 pre-copy, device
    /// time 0) on one node and reads the index it then holds.
    /// </summary>
    private static async Task<(LWWDictionary<string, MigrationView>[] Index, IReadOnlyList<MigrationView> Views)> RealIndexAsync(InProcCluster cluster)
    {
        var nvme = DriverModels.Nvme;
        var mlx5 = DriverModels.Mlx5;
        await cluster.StartNodeAsync("node-1",
        [
            cluster.Host("compute-01", 0, new BenchPf("0000:5e:00.0", nvme, "ctrl-4k", 1, "vm-nvme"), new BenchPf("0000:3b:00.0", mlx5, "eth-small", 1, "vm-eth", DirtyBytesPerSecond: 4 << 20)),
            cluster.Host("compute-02", 0, new BenchPf("0000:5e:00.0", nvme, "ctrl-4k", 0, null), new BenchPf("0000:3b:00.0", mlx5, "eth-small", 0, null)),
        ], InProcCluster.Options());
        await cluster.Client.WaitForHostsAsync(2, TimeSpan.FromSeconds(30));

        // Three in four are tiny stop-and-copy migrations, one in four pre-copies (its view carries its rounds).
        async Task PingPong(string workload, int count)
        {
            var target = "compute-02";
            for (var i = 0; i < count; i++)
            {
                await cluster.MigrateAsync(workload, target);
                target = target == "compute-01" ? "compute-02" : "compute-01";
            }
        }

        await Task.WhenAll(PingPong("vm-nvme-0", BaselineMigrations * 3 / 4), PingPong("vm-eth-0", BaselineMigrations / 4));
        var replicator = DistributedData.Get(cluster.Nodes[0].System).Replicator;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            // Each coordinator publishes its ended view just after it answers as ended: wait until all are in.
            var index = new LWWDictionary<string, MigrationView>[MigrationIndex.ShardCount];
            for (var i = 0; i < index.Length; i++)
            {
                var response = await replicator.Ask<IGetResponse>(Dsl.Get(MigrationIndex.Keys[i], ReadLocal.Instance), TimeSpan.FromSeconds(10));
                index[i] = response is GetSuccess success ? success.Get(MigrationIndex.Keys[i]) : LWWDictionary<string, MigrationView>.Empty;
            }

            var views = index.SelectMany(shard => shard.Values).ToList();
            if (views.Count >= BaselineMigrations && views.All(v => v.IsTerminal))
            {
                return (index, [.. views.OrderBy(v => v.UpdatedAt)]);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the index shows {views.Count} migrations ({views.Count(v => v.IsTerminal)} ended), not {BaselineMigrations} ended");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The index a node holds after <paramref name="count"/> ended migrations: each view a real one's with a new id,
    /// workload and times, published as a coordinator does (SetItem), trimmed as <see cref="MigrationKeeper"/> does
    /// (<see cref="IndexRetention.Expired(IEnumerable{MigrationView}, DateTimeOffset)"/>, then Remove) every 1000 views.
    /// </summary>
    private static LWWDictionary<string, MigrationView>[] BuildIndex(IReadOnlyList<MigrationView> templates, int count, UniqueAddress node)
    {
        var random = new Random(15);
        var end = templates[^1].UpdatedAt;
        var index = MigrationIndex.Keys.Select(_ => LWWDictionary<string, MigrationView>.Empty).ToArray();
        for (var i = 0; i < count; i++)
        {
            var template = templates[i % templates.Count];
            var endsAt = end - (Spacing * (count - 1 - i));
            var by = endsAt - template.UpdatedAt;
            var id = MigrationId.New(template.CreatedAt + by, random);
            var prefix = template.Workload.ToString()[..template.Workload.ToString().LastIndexOf('-')];
            var view = template with
            {
                Id = id,
                Workload = WorkloadId.Parse($"{prefix}-{i % 20_000}"),
                CreatedAt = template.CreatedAt + by,
                UpdatedAt = template.UpdatedAt + by,
                Timeline = [.. template.Timeline.Select(t => t with { At = t.At + by })],
                Rounds = [.. template.Rounds.Select(r => r with { At = r.At + by })],
            };
            // The replicator keeps the state without its delta (the delta goes out to the other nodes).
            var shard = MigrationIndex.ShardOf(id.Value);
            index[shard] = (LWWDictionary<string, MigrationView>)index[shard].SetItem(node, id.ToString(), view).ResetDelta();
            if ((i + 1) % 1000 == 0 || i == count - 1)
            {
                foreach (var key in IndexRetention.Default.Expired(index.SelectMany(d => d.Values), endsAt))
                {
                    var at = MigrationIndex.ShardOf(key);
                    index[at] = (LWWDictionary<string, MigrationView>)index[at].Remove(node, key).ResetDelta();
                }
            }
        }

        return index;
    }

    /// <summary>Each key serialized as the replicator gossips it: the largest one is what must fit a frame.</summary>
    private static IndexSize Measure(ActorSystem system, LWWDictionary<string, MigrationView>[] index)
    {
        long total = 0, largest = 0, uncompressed = 0;
        var views = 0;
        var back = 0;
        var serializerName = "";
        var watch = new Stopwatch();
        var sizes = new int[index.Length];
        foreach (var (shard, i) in index.Select((shard, i) => (shard, i)))
        {
            var serializer = system.Serialization.FindSerializerFor(shard);
            serializerName = serializer.GetType().Name;
            var bytes = serializer.ToBinary(shard);
            sizes[i] = bytes.Length;
            total += bytes.Length;
            largest = Math.Max(largest, bytes.Length);
            views += shard.Count;
            using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress))
            {
                var buffer = new byte[81920];
                int n;
                while ((n = gzip.Read(buffer)) > 0)
                {
                    uncompressed += n;
                }
            }

            watch.Start();
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, shard);
            back += ((LWWDictionary<string, MigrationView>)system.Serialization.Deserialize(bytes, serializer.Identifier, manifest)).Count;
            watch.Stop();
        }

        // Gossip answers a status with the whole value of up to max-delta-elements differing keys in one message: the
        // largest such message holds the largest keys together (the replicator's own message and serializer).
        var perMessage = system.Settings.Config.GetInt("akka.cluster.distributed-data.max-delta-elements");
        var together = Enumerable.Range(0, index.Length).OrderByDescending(i => sizes[i]).Take(perMessage)
            .Select(i => (Shard: index[i], Key: MigrationIndex.Keys[i].Id))
            .Select(k => new KeyValuePair<string, DataEnvelope>(k.Key, Internal<DataEnvelope>(typeof(DataEnvelope), k.Shard, ImmutableDictionary<UniqueAddress, IPruningState>.Empty, VersionVector.Empty)));
        // The replicator's own message, serialized as the replicator sends it (both types are Akka's internals).
        var gossip = Internal<object>(typeof(DataEnvelope).Assembly.GetType("Akka.DistributedData.Internal.Gossip", throwOnError: true)!, ImmutableDictionary.CreateRange(together), false, null!, null!);
        var gossipBytes = system.Serialization.FindSerializerFor(gossip).ToBinary(gossip).Length;
        return new IndexSize(total, largest, uncompressed, views, serializerName, back, watch.Elapsed.TotalMilliseconds, gossipBytes, perMessage);
    }

    private static T Internal<T>(Type type, params object[] arguments) =>
        (T)Activator.CreateInstance(type, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, null, arguments, null)!;

    /// <summary>
    /// authority_recovery_ratio_after_50k: a fresh placement authority's time to its first placement answer on the
    /// journal 50 000 migrations (quick: 10 000) leave, over the same after 100. In-process, see
    /// <see cref="AuthorityJournalAsync"/> for how the journal is made.
    /// </summary>
    public async Task AuthorityRecoveryAsync()
    {
        var count = options.Quick ? 10_000 : 50_000;
        var small = await AuthorityRunAsync(BaselineMigrations, worstCase: false);
        var large = await AuthorityRunAsync(count, worstCase: true);
        var worst = large.WorstCase!;
        report.Add("authority_recovery_ratio_after_50k", large.End.Ms / small.End.Ms, "≤ 1.5", v => v <= 1.5,
            $"fresh placement authority on the SQLite journal {count} migrations leave: first placement answered in {Stats.F(large.End.Ms, "0.0")} ms ({large.End.Journal}) / after {BaselineMigrations}: {Stats.F(small.End.Ms, "0.0")} ms ({small.End.Journal}); "
            + $"after one more incarnation that stopped one migration short of its next snapshot {Stats.F(worst.Ms, "0.0")} ms ({worst.Journal}) = {Stats.F(worst.Ms / small.End.Ms, "0.###")}; median of {FreshStarts} starts each. "
            + $"In-process: the real authority driven with a coordinator's messages on the in-memory journal, what it left there written to a node's SQLite journal through the node's serializer");
        report.Note($"authority: {count} migrations ({large.Generated} events) driven through the real authority in {Stats.F(large.DriveSeconds, "0.0")} s on the in-memory journal, {BaselineMigrations} in {Stats.F(small.DriveSeconds, "0.0")} s; "
            + $"after {count}: starts {large.End.Each}; one migration short of the next snapshot: {worst.Each}; after {BaselineMigrations}: {small.End.Each} (ms, first start discarded)");
    }

    /// <summary>
    /// The journal of <paramref name="migrations"/> migrations (<see cref="AuthorityJournalAsync"/>) in a node's SQLite
    /// journal; fresh authorities started on it and timed to their first placement answer. With
    /// <paramref name="worstCase"/>, then an authority that recovered it runs as many more migrations (one at a time)
    /// as would leave an authority that counted only its own writes one migration short of its next snapshot, and the
    /// same again: the case that grew with each hand-over before the authority counted the events it recovered too.
    /// </summary>
    private static async Task<AuthorityRun> AuthorityRunAsync(int migrations, bool worstCase)
    {
        var clock = new SteppedClock(DateTimeOffset.UtcNow - (Spacing * migrations));
        var (journal, drive) = await AuthorityJournalAsync(migrations, clock);

        await using var cluster = InProcCluster.Create();
        var (system, plan) = await AuthorityNodeAsync(cluster);
        var props = AuthorityProps(clock);
        await TranscribeAsync(system, journal);
        var end = await FreshStartsAsync(system, props, plan, clock, cluster.JournalPath);
        if (!worstCase)
        {
            return new AuthorityRun(end, null, drive, journal.Highest);
        }

        // SnapshotEvery events less one migration (4 events) of its own, on top of what it recovered: it now snapshots
        // on the way (it counts the recovered events too), so what the next recovery reads stays under SnapshotEvery.
        var more = (new RuntimeOptions().SnapshotEvery - 4) / 4;
        var authority = system.ActorOf(props, "authority-more");
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new AuthorityDriver(authority, plan, more, 1, clock, done)), "driver-more");
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await SettledJournalAsync(cluster.JournalPath);
        await authority.GracefulStop(TimeSpan.FromSeconds(30));
        var worst = await FreshStartsAsync(system, props, plan, clock, cluster.JournalPath, "worst");
        return new AuthorityRun(end, worst, drive, journal.Highest);
    }

    /// <summary>
    /// Drives the product's placement authority, on a node's in-memory journal, with what the coordinators of
    /// <paramref name="migrations"/> migrations send it (claim, place, admission, release once admitted, as gone
    /// forward), 8 at once (the default cluster admission limit), on a clock that moves <see cref="Spacing"/> per
    /// migration; then reads back what it left there: its last snapshot and the events after it (the events before a
    /// snapshot it deletes, and a recovery never reads them). In memory because the node's SQLite journal takes ~4 000
    /// authority events/s on this machine: the 200 000 events of 50 000 migrations would take ~50 s.
    /// </summary>
    private static async Task<(AuthorityJournal Journal, double DriveSeconds)> AuthorityJournalAsync(int migrations, SteppedClock clock)
    {
        await using var cluster = InProcCluster.Create(PersistenceProvider.InMemory);
        var (system, plan) = await AuthorityNodeAsync(cluster);
        var authority = system.ActorOf(AuthorityProps(clock), "authority");
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Stopwatch.StartNew();
        system.ActorOf(Props.Create(() => new AuthorityDriver(authority, plan, migrations, ConcurrencyLimits.Default.PerCluster, clock, done)), "driver");
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var drive = watch.Elapsed.TotalSeconds;
        await Task.Delay(300); // the snapshot written after the last event (if one is due)
        await authority.GracefulStop(TimeSpan.FromSeconds(30));
        var read = new TaskCompletionSource<AuthorityJournal>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = system.ActorOf(Props.Create(() => new JournalReader(read)), "reader");
        var journal = await read.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await reader.GracefulStop(TimeSpan.FromSeconds(10));
        return (journal, drive);
    }

    /// <summary>
    /// A node (hosts role only, so no singleton authority of its own) with 8 hosts of 32 NVMe workloads publishing the
    /// directory; the plan is each workload's migration from its VF to the next host.
    /// </summary>
    private static async Task<(ActorSystem System, IReadOnlyList<(WorkloadId Workload, VfId Vf, HostId Target)> Plan)> AuthorityNodeAsync(InProcCluster cluster)
    {
        var hosts = Enumerable.Range(1, AuthorityHosts)
            .Select(h => cluster.Host($"compute-{h:d2}", 0, new BenchPf("0000:5e:00.0", DriverModels.Nvme, "ctrl-4k", WorkloadsPerHost, $"vm-h{h:d2}", MaxVfs: 64)))
            .ToList();
        var system = await cluster.StartSystemAsync("node-1", [ClusterRoles.Hosts]);
        foreach (var host in hosts)
        {
            system.ActorOf(HostActor.Props(new HostActorSetup(host.Host, "node-1", host.Drivers, host.Workloads, new PfActorSettings(), NullDeviceObserver.Instance)), HostActor.ActorName(host.Host));
        }

        var directory = new OrchestratorClient(system, ActorRefs.Nobody, ActorRefs.Nobody);
        if ((await directory.WaitForHostsAsync(AuthorityHosts, TimeSpan.FromSeconds(30))).Hosts.Count < AuthorityHosts)
        {
            throw new TimeoutException($"the directory did not show {AuthorityHosts} hosts within 30 s");
        }

        var plan = hosts.SelectMany(h => h.Workloads.Select(w => (Workload: w.Value, Vf: w.Key, Target: hosts[(hosts.IndexOf(h) + 1) % hosts.Count].Host)))
            .OrderBy(p => p.Vf.Index).ThenBy(p => p.Vf.Host)
            .ToList();
        return (system, plan);
    }

    /// <summary>The authority as a coordinator node makes it (default limits and snapshot interval), on the given clock.</summary>
    private static Props AuthorityProps(TimeProvider clock) =>
        PlacementAuthority.Props(ConcurrencyLimits.Default, clock, new PlacementAuthoritySettings { SnapshotEvery = new RuntimeOptions().SnapshotEvery });

    /// <summary>Writes the snapshot and the events at their sequence numbers through the node's journal and snapshot store.</summary>
    private static async Task TranscribeAsync(ActorSystem system, AuthorityJournal journal)
    {
        var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
        if (journal.Snapshot is { } snapshot)
        {
            var saved = await persistence.SnapshotStoreFor(null).Ask<object>(new Akka.Persistence.SaveSnapshot(snapshot.Metadata, snapshot.Payload), TimeSpan.FromSeconds(30));
            if (saved is not Akka.Persistence.SaveSnapshotSuccess)
            {
                throw new InvalidOperationException($"snapshot not written: {saved}");
            }
        }

        if (journal.Events.Count > 0)
        {
            var written = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new JournalWriter(persistence.JournalFor(null), journal.Events, written)), "transcriber");
            await written.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// Starts a fresh authority on the journal and times it to its first placement answer (a new migration, released
    /// after); one discarded start, then <see cref="FreshStarts"/>.
    /// </summary>
    private static async Task<StartTimes> FreshStartsAsync(ActorSystem system, Props props, IReadOnlyList<(WorkloadId Workload, VfId Vf, HostId Target)> plan, SteppedClock clock, string journalPath, string name = "fresh")
    {
        var (_, live, snapshotAt) = ReadJournal(journalPath);
        var times = new List<double>();
        var random = new Random(8);
        for (var i = 0; i <= FreshStarts; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(30)); // a hand-over takes seconds
            var (workload, vf, target) = plan[i];
            var id = MigrationId.New(clock.GetUtcNow(), random);
            var watch = Stopwatch.StartNew();
            var fresh = system.ActorOf(props, $"{name}-{i}");
            var answer = await fresh.Ask<PlacementAnswer>(new PlaceMigration(id, new PlacementRequest(workload, [vf], target)), TimeSpan.FromSeconds(60));
            var ms = watch.Elapsed.TotalMilliseconds;
            if (answer.Result.Target is null)
            {
                throw new InvalidOperationException($"the recovered authority placed nothing: {answer.Result.Explain()}");
            }

            if (i > 0)
            {
                times.Add(ms);
            }

            await fresh.Ask<MigrationReleased>(new ReleaseMigration(id), TimeSpan.FromSeconds(30));
            await fresh.GracefulStop(TimeSpan.FromSeconds(30));
        }

        var what = snapshotAt is { } s ? $"snapshot at {s} + {live} events" : $"no snapshot, {live} events";
        return new StartTimes(Stats.Median(times), string.Join(" / ", times.Select(t => Stats.F(t, "0.0"))), what);
    }

    /// <summary>The authority's rows in the journal: its highest sequence number, the events not deleted, its snapshot.</summary>
    private static (long Highest, long Live, long? SnapshotAt) ReadJournal(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT (SELECT coalesce(max(sequence_number), 0) FROM journal WHERE persistence_id = '{AuthorityId}'),
                   (SELECT count(*) FROM journal WHERE persistence_id = '{AuthorityId}' AND deleted = 0),
                   (SELECT max(sequence_number) FROM snapshot WHERE persistence_id = '{AuthorityId}')
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
    }

    /// <summary>The authority's rows in the journal once two reads 300 ms apart agree (a snapshot and its deletions done).</summary>
    private static async Task SettledJournalAsync(string path)
    {
        var last = ReadJournal(path);
        for (var i = 0; i < 100; i++)
        {
            await Task.Delay(300);
            var now = ReadJournal(path);
            if (now == last)
            {
                return;
            }

            last = now;
        }
    }

    /// <summary>The median time to the first placement answer, each time, and what the journal held.</summary>
    private sealed record StartTimes(double Ms, string Each, string Journal);

    private sealed record AuthorityRun(StartTimes End, StartTimes? WorstCase, double DriveSeconds, long Generated);

    /// <summary>What the authority left in a journal: its last snapshot and the events after it, with their sequence numbers.</summary>
    private sealed record AuthorityJournal((Akka.Persistence.SnapshotMetadata Metadata, object Payload)? Snapshot, IReadOnlyList<(long SequenceNr, object Event)> Events, long Highest);

    /// <summary>Recovers the authority's persistence id as the authority would, and keeps what it is given.</summary>
    private sealed class JournalReader : Akka.Persistence.ReceivePersistentActor
    {
        private (Akka.Persistence.SnapshotMetadata, object)? _snapshot;
        private readonly List<(long, object)> _events = [];

        public JournalReader(TaskCompletionSource<AuthorityJournal> read)
        {
            Recover<Akka.Persistence.SnapshotOffer>(offer => _snapshot = (offer.Metadata, offer.Snapshot));
            Recover<Akka.Persistence.RecoveryCompleted>(_ => read.TrySetResult(new AuthorityJournal(_snapshot, _events, LastSequenceNr)));
            RecoverAny(e => _events.Add((LastSequenceNr, e)));
        }

        public override string PersistenceId => AuthorityId;
    }

    /// <summary>Writes events at given sequence numbers of the authority's persistence id straight to a journal.</summary>
    private sealed class JournalWriter : ReceiveActor
    {
        public JournalWriter(IActorRef journal, IReadOnlyList<(long SequenceNr, object Event)> events, TaskCompletionSource<int> written)
        {
            var writer = Guid.NewGuid().ToString();
            Receive<Akka.Persistence.WriteMessageSuccess>(_ => { });
            Receive<Akka.Persistence.WriteMessagesSuccessful>(_ =>
            {
                written.TrySetResult(events.Count);
                Context.Stop(Self);
            });
            Receive<Akka.Persistence.WriteMessagesFailed>(f => written.TrySetException(f.Cause));
            Receive<Akka.Persistence.WriteMessageRejected>(r => written.TrySetException(r.Cause));
            Receive<Akka.Persistence.WriteMessageFailure>(f => written.TrySetException(f.Cause));
            var batch = events.Select(e => (Akka.Persistence.IPersistentRepresentation)new Akka.Persistence.Persistent(e.Event, e.SequenceNr, AuthorityId, string.Empty, false, ActorRefs.NoSender, writer, 0)).ToImmutableList();
            journal.Tell(new Akka.Persistence.WriteMessages([new Akka.Persistence.AtomicWrite(batch)], Self, 1));
        }
    }

    /// <summary>A clock that moves only when told (the authority's TimeProvider): <see cref="Spacing"/> per migration started.</summary>
    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    }

    /// <summary>
    /// Sends the placement authority what a migration's coordinator sends, in its order: claim the workload, place,
    /// ask for admission, release once admitted (as gone forward); keeps <c>concurrency</c> migrations going.
    /// </summary>
    private sealed class AuthorityDriver : ReceiveActor
    {
        private readonly IActorRef _authority;
        private readonly IReadOnlyList<(WorkloadId Workload, VfId Vf, HostId Target)> _plan;
        private readonly int _total;
        private readonly SteppedClock _clock;
        private readonly TaskCompletionSource<int> _done;
        private readonly Dictionary<MigrationId, (WorkloadId Workload, VfId Vf, HostId Target)> _running = [];
        private readonly Random _random = new(15);
        private int _started;
        private int _ended;

        public AuthorityDriver(IActorRef authority, IReadOnlyList<(WorkloadId, VfId, HostId)> plan, int total, int concurrency, SteppedClock clock, TaskCompletionSource<int> done)
        {
            _authority = authority;
            _plan = plan;
            _total = total;
            _clock = clock;
            _done = done;
            Receive<WorkloadClaimGranted>(g =>
            {
                var m = _running[g.Migration];
                _authority.Tell(new PlaceMigration(g.Migration, new PlacementRequest(m.Workload, [m.Vf], m.Target)));
            });
            Receive<PlacementAnswer>(a =>
            {
                if (a.Result.Target is not { } target)
                {
                    Fail($"migration {a.Migration} not placed: {a.Result.Explain()}");
                    return;
                }

                // As a coordinator does: admitted with the placement, or ask.
                var admission = target.AdmissionFor(a.Migration!.Value);
                if (a.Admitted)
                {
                    Self.Tell(new Admitted(admission.Migration));
                    return;
                }

                _authority.Tell(RequestAdmission.Of(admission));
            });
            Receive<AdmissionQueued>(_ => { });
            Receive<Admitted>(a => _authority.Tell(new ReleaseMigration(a.Migration, Committed: true)));
            Receive<MigrationReleased>(r =>
            {
                _running.Remove(r.Migration);
                if (++_ended == _total)
                {
                    _done.TrySetResult(_ended);
                    return;
                }

                Next();
            });
            Receive<WorkloadClaimRefused>(r => Fail($"claim of {r.Workload} refused: {r.Reason}"));
            for (var i = 0; i < concurrency; i++)
            {
                Next();
            }
        }

        private void Next()
        {
            if (_started == _total)
            {
                return;
            }

            var m = _plan[_started++ % _plan.Count];
            _clock.Advance(Spacing);
            var id = MigrationId.New(_clock.GetUtcNow(), _random);
            _running[id] = m;
            _authority.Tell(new ClaimWorkload(id, m.Workload, [m.Vf]));
        }

        private void Fail(string why) => _done.TrySetException(new InvalidOperationException(why));
    }

    /// <summary>
    /// The index's serialized sizes; <c>Gossip</c> is its largest gossip message (its <c>PerGossip</c> largest keys in one).
    /// </summary>
    private sealed record IndexSize(long Bytes, long Largest, long Uncompressed, int Views, string Serializer, int RoundTripViews, double ReadMs, long Gossip, int PerGossip)
    {
        /// <summary>The largest message of the index remoting must carry.</summary>
        public long Message => Math.Max(Largest, Gossip);
    }
}
