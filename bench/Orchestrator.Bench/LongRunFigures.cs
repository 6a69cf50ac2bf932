using System.Diagnostics;
using System.IO.Compression;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bench;

/// <summary>
/// The figures of issue 15 ("months of operation"): what a node holds after many migrations, against the same after 100.
/// In-process: the replicated migration index's serialized size against the remoting frame.
/// </summary>
internal sealed class LongRunFigures(BenchOptions options, BenchReport report)
{
    /// <summary>The real migrations whose views the synthetic index is made of (and the baseline index).</summary>
    private const int BaselineMigrations = 100;

    /// <summary>
    /// Time between two migrations in the history made here: one a second, so 50 000 take 14 h, within the index's
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
        report.Add("index_bytes_after_50k_over_frame", large.Bytes / (double)frame, "≤ 0.5", v => v <= 0.5,
            $"index after {count} ended migrations (one every {Stats.F(Spacing.TotalSeconds, "0.#")} s, trimmed by IndexRetention.Default {Stats.F(IndexRetention.Default.Window.TotalHours, "0.#")} h / {IndexRetention.Default.MaxEnded} as MigrationKeeper does → {large.Views} views): "
            + $"{large.Bytes} B ({large.Serializer}, gzip; {large.Uncompressed} B before gzip) / maximum-frame-size {frame} B; {Stats.F(perView, "0")} B per ended view; "
            + $"baseline after {BaselineMigrations} real migrations {baseline.Bytes} B ({Stats.F(baseline.Bytes / (double)baseline.Views, "0")} B per view) / {frame} B = {Stats.F(baseline.Bytes / (double)frame, "0.###")}");
        report.Note($"index: views of {count} migrations made from the {templates.Count} real views (distinct ids, workloads and times; each a real migration's timeline shifted) in {Stats.F(built.TotalSeconds, "0.0")} s; "
            + $"the same made from 100: {synthetic100.Bytes} B against {baseline.Bytes} B for the real index; round trip through the serializer: {large.RoundTripViews} views read back in {Stats.F(large.ReadMs, "0")} ms");
        report.Note($"index: at {Stats.F(perView, "0")} B per ended view, half a frame ({frame / 2} B) holds {Stats.F(frame / 2 / perView, "0")} ended views and a whole frame {Stats.F(frame / perView, "0")}; the default retention keeps up to {IndexRetention.Default.MaxEnded}");
    }

    /// <summary>
    /// Runs <see cref="BaselineMigrations"/> real migrations (tiny NVMe stop-and-copy and small mlx5 pre-copy, device
    /// time 0) on one node and reads the index it then holds.
    /// </summary>
    private static async Task<(LWWDictionary<string, MigrationView> Index, IReadOnlyList<MigrationView> Views)> RealIndexAsync(InProcCluster cluster)
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
            var response = await replicator.Ask<IGetResponse>(Dsl.Get(MigrationIndex.Key, ReadLocal.Instance), TimeSpan.FromSeconds(10));
            var index = response is GetSuccess success ? success.Get(MigrationIndex.Key) : LWWDictionary<string, MigrationView>.Empty;
            if (index.Count >= BaselineMigrations && index.Values.All(v => v.IsTerminal))
            {
                return (index, [.. index.Values.OrderBy(v => v.UpdatedAt)]);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the index shows {index.Count} migrations ({index.Values.Count(v => v.IsTerminal)} ended), not {BaselineMigrations} ended");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The index a node holds after <paramref name="count"/> ended migrations: each view a real one's with a new id,
    /// workload and times, published as a coordinator does (SetItem), trimmed as <see cref="MigrationKeeper"/> does
    /// (<see cref="IndexRetention.Expired(IEnumerable{MigrationView}, DateTimeOffset)"/>, then Remove) every 1000 views.
    /// </summary>
    private static LWWDictionary<string, MigrationView> BuildIndex(IReadOnlyList<MigrationView> templates, int count, UniqueAddress node)
    {
        var random = new Random(15);
        var end = templates[^1].UpdatedAt;
        var index = LWWDictionary<string, MigrationView>.Empty;
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
            index = (LWWDictionary<string, MigrationView>)index.SetItem(node, id.ToString(), view).ResetDelta();
            if ((i + 1) % 1000 == 0 || i == count - 1)
            {
                var expired = IndexRetention.Default.Expired(index.Values, endsAt);
                index = (LWWDictionary<string, MigrationView>)expired.Aggregate(index, (acc, key) => acc.Remove(node, key)).ResetDelta();
            }
        }

        return index;
    }

    private static IndexSize Measure(ActorSystem system, LWWDictionary<string, MigrationView> index)
    {
        var serializer = system.Serialization.FindSerializerFor(index);
        var bytes = serializer.ToBinary(index);
        long uncompressed;
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress))
        {
            uncompressed = 0;
            var buffer = new byte[81920];
            int n;
            while ((n = gzip.Read(buffer)) > 0)
            {
                uncompressed += n;
            }
        }

        var watch = Stopwatch.StartNew();
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, index);
        var back = (LWWDictionary<string, MigrationView>)system.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        return new IndexSize(bytes.Length, uncompressed, index.Count, serializer.GetType().Name, back.Count, watch.Elapsed.TotalMilliseconds);
    }

    private sealed record IndexSize(long Bytes, long Uncompressed, int Views, string Serializer, int RoundTripViews, double ReadMs);
}
