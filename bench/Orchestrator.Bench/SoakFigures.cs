using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Bench;

/// <summary>
/// memory_growth_mb_per_10k_migrations (issue 15) and the soak: the three node processes of
/// <see cref="ThreeProcessFigures"/> driven with a steady stream of tiny migrations for a set time, each node's live
/// heap after a full GC (with no migration in flight) and the journal's rows sampled as it runs, plotted to a PNG with
/// the samples beside it as CSV.
/// </summary>
internal sealed class SoakFigures(BenchOptions options, BenchReport report)
{
    /// <summary>Migrations in flight at any time: the stream's width (limits raised, so the engine sets the pace).</summary>
    private const int Lanes = 24;

    private sealed record Sample(double Minutes, int Completed, NodeHeap.Live[] Heaps, IReadOnlyDictionary<string, long> Rows)
    {
        /// <summary>Each node's whole live heap.</summary>
        public long[] HeapBytes => [.. Heaps.Select(h => h.Total)];

        /// <summary>Each node's small-object heap (gen0–2 promoted).</summary>
        public long[] SmallBytes => [.. Heaps.Select(h => h.Small)];
    }

    /// <summary>
    /// The retention-bound structures (the replicated index's ended views, the idempotency keys) are kept small so that
    /// the soak passes their window early: what the heap does after it is what months of operation do.
    /// </summary>
    private int IndexMaxEnded => options.Quick ? 200 : 1000;

    private static readonly TimeSpan IdempotencyRetention = TimeSpan.FromMinutes(1);

    /// <summary>How long an ended coordinator stays before it passivates (the runtime's default, which the soak keeps).</summary>
    private static readonly TimeSpan PassivateAfterEnd = new Orchestrator.Cluster.Hosting.RuntimeOptions().PassivateAfterEnd;

    public async Task RunAsync()
    {
        if (options.SoakSamples is { } csv)
        {
            var read = ReadCsv(csv);
            Conclude(read, new ConcurrentDictionary<string, int>(), (int)Math.Round(read[^1].Minutes), $"samples read from {csv}", writeCsv: false);
            return;
        }

        var minutes = options.SoakMinutes ?? (options.Quick ? 3 : 30);
        // A sample every 20 s: the slope's standard error falls with the square root of their count, and a sample's
        // pause (the migrations in flight drain, three induced GCs) costs ~2 s of the stream.
        var every = TimeSpan.FromSeconds(20);
        var extra = string.Create(CultureInfo.InvariantCulture,
            $"runtime.index-max-ended = {IndexMaxEnded}\napi.idempotency-retention = {IdempotencyRetention.TotalMinutes:0}m\n");
        var three = new ThreeProcessFigures(options, report);
        await three.WithClusterAsync(engine: true, extra, async cluster =>
        {
            await three.WarmUpAsync(cluster.Clients);
            var samples = new List<Sample>();
            var outcomes = new ConcurrentDictionary<string, int>();
            var completed = 0;
            var watch = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(minutes));
            var homes = new Dictionary<string, (string Home, string Away)>();
            for (var h = 0; h < ThreeProcessFigures.Nodes; h++)
            {
                for (var v = 0; v < ThreeProcessFigures.VfsPerHost; v++)
                {
                    homes[$"w{h}-{v}"] = ($"h{h + 1}", $"h{h + 4}");
                }
            }

            // A lane holds a slot of the gate while its migration is in flight. A sample takes every slot: it waits for
            // the migrations in flight to end and none starts until it is done, so that every sample sees the same
            // quiet cluster, not 24 migrations' buffers at whatever step they happen to be (±14 MB a sample otherwise).
            // Before it, the sample closes the door: a lane that ends a migration does not queue for the gate again
            // until the sample is done. Without the door the gate's queue is first come, first served, so the lanes
            // that ended kept taking slots ahead of the sample's next one and a drain took ~300 migrations (a minute).
            using var gate = new SemaphoreSlim(Lanes, Lanes);
            var door = Open();

            // Each lane owns every Lanes-th workload and moves them, one at a time, between their two hosts.
            var lanes = Enumerable.Range(0, Lanes).Select(lane => Task.Run(async () =>
            {
                var mine = homes.Keys.Where((_, i) => i % Lanes == lane).ToList();
                var at = mine.ToDictionary(w => w, w => homes[w].Home);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var workload = mine[n % mine.Count];
                    var target = at[workload] == homes[workload].Home ? homes[workload].Away : homes[workload].Home;
                    var client = cluster.Clients[(n + lane) % cluster.Clients.Count];
                    string outcome;
                    await Volatile.Read(ref door).Task;
                    await gate.WaitAsync();
                    try
                    {
                        var id = await ThreeProcessFigures.StartAsync(client, workload, target);
                        var end = await ThreeProcessFigures.WaitEndAsync(client, id, TimeSpan.FromMinutes(2), 100);
                        outcome = end.GetProperty("state").GetString() ?? "?";
                        if (outcome == "Completed")
                        {
                            at[workload] = target;
                            Interlocked.Increment(ref completed);
                        }
                    }
                    catch (Exception e) when (e is ApiException or TimeoutException or HttpRequestException or TaskCanceledException)
                    {
                        outcome = e.GetType().Name;
                    }
                    finally
                    {
                        gate.Release();
                    }

                    outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);
                }
            })).ToList();

            while (!stop.IsCancellationRequested)
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref door, closed);
                for (var i = 0; i < Lanes; i++)
                {
                    await gate.WaitAsync();
                }

                var sample = await SampleAsync(cluster, watch.Elapsed.TotalMinutes, Volatile.Read(ref completed));
                gate.Release(Lanes);
                closed.SetResult();
                samples.Add(sample);
                // Each sample at once: a soak that fails near its end (a node gone) keeps what it measured.
                File.WriteAllText(CsvPath, Csv(samples));
                report.Progress($"soak minute {Stats.F(sample.Minutes, "0.0")}: {sample.Completed} completed; live heap MB {PerNodeMb(sample.HeapBytes)}, small-object heap MB {PerNodeMb(sample.SmallBytes)}");
                try
                {
                    await Task.Delay(every, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // The soak's time is up.
                }
            }

            await Task.WhenAll(lanes);
            samples.Add(await SampleAsync(cluster, watch.Elapsed.TotalMinutes, Volatile.Read(ref completed)));
            Conclude(samples, outcomes, minutes, cluster.Label + " journal");
            report.Note("soak node logs: " + string.Join("; ", cluster.Logs.Select(LogSummary)));
        });
    }

    /// <summary>
    /// A node log's errors, and among them the messages remoting dropped as larger than its frame: a replicated value
    /// that outgrew it is lost silently otherwise (the gossip that should repair a missed delta never arrives).
    /// </summary>
    private static string LogSummary(string log, int node)
    {
        var lines = File.Exists(log) ? File.ReadLines(log).ToList() : [];
        var errors = lines.Count(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
        var oversized = lines.Count(l => l.Contains("OversizedPayloadException", StringComparison.Ordinal));
        return $"node-{node + 1} {errors} errors, {oversized} messages dropped as oversized";
    }

    private static async Task<Sample> SampleAsync(ThreeProcessFigures.Cluster cluster, double minutes, int completed)
    {
        var heaps = await Task.WhenAll(cluster.Processes.Select(p => NodeHeap.AfterFullGcAsync(p.Id, TimeSpan.FromSeconds(30))));
        return new Sample(minutes, completed, heaps, await RowsAsync(cluster.Connection));
    }

    /// <summary>
    /// Rows per kind of persistent actor in the journal (by persistence id: <c>migration</c>, <c>host</c>,
    /// <c>reconciler</c>, <c>evacuation</c>, <c>placement</c>, sharding's remembered entities and coordinators), and the rows of the snapshot table
    /// (the journal keeps its tags in its rows since 2026-12-06: the soaks before counted a tag table too).
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, long>> RowsAsync(string connection)
    {
        await using var db = connection.StartsWith("sqlite:", StringComparison.Ordinal)
            ? JournalStorage.Connection(PersistenceProvider.Sqlite, "Data Source=" + connection[7..])
            : JournalStorage.Connection(PersistenceProvider.PostgreSql, connection);
        await db.OpenAsync();
        var rows = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using (var command = db.CreateCommand())
        {
            command.CommandText = "SELECT persistence_id, count(*) FROM journal GROUP BY persistence_id";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var kind = KindOf(reader.GetString(0));
                rows[kind] = rows.GetValueOrDefault(kind) + reader.GetInt64(1);
            }
        }

        await using (var command = db.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM snapshot";
            rows["table snapshot"] = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        return rows;
    }

    private static string KindOf(string persistenceId) =>
        persistenceId.StartsWith("/sharding/", StringComparison.Ordinal) ? "sharding (remembered entities)"
        : persistenceId.StartsWith("/system/sharding", StringComparison.Ordinal) ? "sharding (coordinators)"
        : persistenceId.IndexOf('-') is > 0 and var dash ? persistenceId[..dash]
        : persistenceId;

    /// <summary>Where the plot goes (<c>--soak-png</c>); its folder exists once this is read.</summary>
    private string PngPath
    {
        get
        {
            var png = options.SoakPng ?? Path.Combine("artifacts", "bench", "soak.png");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(png))!);
            return png;
        }
    }

    /// <summary>The samples as CSV, beside the plot: rewritten after every sample, and at the end.</summary>
    private string CsvPath => Path.ChangeExtension(PngPath, ".csv");

    /// <summary>
    /// The soak's notes, plot and key from its samples. <paramref name="journal"/> says what they came from: the journal
    /// the cluster ran on, or a CSV read back (then <paramref name="writeCsv"/> is false).
    /// </summary>
    private void Conclude(List<Sample> samples, ConcurrentDictionary<string, int> outcomes, int minutes, string journal, bool writeCsv = true)
    {
        var last = samples[^1];
        // After the windows: the index holds its cap of ended views and the first idempotency keys have expired.
        var from = samples.FindIndex(s => s.Completed >= 3 * IndexMaxEnded && s.Minutes >= 2 * IdempotencyRetention.TotalMinutes);
        var png = PngPath;
        if (writeCsv)
        {
            File.WriteAllText(CsvPath, Csv(samples));
        }

        Plot(samples, from, png, minutes, journal);
        var ran = string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"));
        report.Note($"soak: {minutes} min, {Lanes} migrations in flight, {last.Completed} completed ({Stats.F(last.Completed / last.Minutes / 60, "0.0")}/s; outcomes: {(ran.Length > 0 ? ran : "not in the samples")}), "
            + $"runtime.index-max-ended {IndexMaxEnded}, api.idempotency-retention {IdempotencyRetention.TotalMinutes:0}m, {journal}; plot {png}{(writeCsv ? ", samples " + CsvPath : "")}");
        report.Note("soak journal rows, first sample → last: "
            + string.Join(", ", last.Rows.Select(r => $"{r.Key} {samples[0].Rows.GetValueOrDefault(r.Key)} → {r.Value}")));
        if (from < 1 || samples.Count - from < 4)
        {
            report.Add("memory_growth_mb_per_10k_migrations", double.NaN, "≤ 1", _ => false,
                $"not measured: the soak did not pass the retention windows ({3 * IndexMaxEnded} migrations and {2 * IdempotencyRetention.TotalMinutes:0} min) with 4 samples after them; {last.Completed} migrations in {minutes} min");
            return;
        }

        // Each sample waits for the migrations in flight to end, but not for the coordinators that ended in the last
        // PassivateAfterEnd to passivate: their states are live bytes in proportion to the pace just before the sample,
        // which moves with whatever else the machine runs (the small-object heap followed it with a correlation of 0.43
        // in a soak with builds beside it). The fit takes that pace as a second variable, so that the slope over
        // completed migrations is the growth that stays, not the pace's swings.
        var window = Enumerable.Range(from, samples.Count - from)
            .Select(i => (Sample: samples[i], Pace: EndedPerSecond(samples, i, PassivateAfterEnd)))
            .ToList();
        Fitted FitOf(Func<Sample, double> megabytes) => Fit(window.Select(w => ((double)w.Sample.Completed, w.Pace, megabytes(w.Sample))));
        var perNode = Enumerable.Range(0, last.HeapBytes.Length).Select(n => FitOf(s => s.HeapBytes[n] / 1e6).Slope * 10_000).ToList();
        var whole = FitOf(s => s.HeapBytes.Sum() / 1e6);
        var small = FitOf(s => s.SmallBytes.Sum() / 1e6);
        var plain = Fit(window.Select(w => ((double)w.Sample.Completed, 0.0, w.Sample.HeapBytes.Sum() / 1e6)));
        var total = whole.Slope * 10_000;
        // Met when the bound is: an estimate below 1 with a wide scatter (the 80-minute soak's −6.22 ± 7.61) showed
        // nothing, and hid a leak of ~11 MB per 10k that a longer soak resolved.
        var bound = (whole.Slope + (2 * whole.Error)) * 10_000;
        report.Note($"soak small-object heap alone (gen0–2 promoted, summed over the nodes; the large and pinned heaps hold the state transfer's pooled segments, bounded by TransferBuffers): "
            + $"{Stats.F(small.Slope * 10_000, "0.00")} MB per 10k migrations, standard error {Stats.F(small.Error * 10_000, "0.00")}, plus {Stats.F(small.PerPace, "0.00")} MB per migration a second ended in the last {PassivateAfterEnd.TotalSeconds:0} s; "
            + $"MB per node {PerNodeMb(window[0].Sample.SmallBytes)} → {PerNodeMb(last.SmallBytes)}");
        report.Note($"soak whole live heap without the pace in the fit (over completed migrations alone): {Stats.F(plain.Slope * 10_000, "0.00")} MB per 10k, standard error {Stats.F(plain.Error * 10_000, "0.00")}; "
            + $"residual scatter {Stats.F(plain.Scatter, "0.0")} MB a sample against {Stats.F(whole.Scatter, "0.0")} with it; the pace from {Stats.F(window.Min(w => w.Pace), "0.0")} to {Stats.F(window.Max(w => w.Pace), "0.0")} migrations/s");
        report.Add("memory_growth_mb_per_10k_migrations", total, "≤ 1 at two standard errors", _ => bound <= 1,
            $"3 node processes, {journal}: least-squares slope of the three nodes' summed live heap after an induced full GC, with no migration in flight, over completed migrations "
            + $"(with the pace of the last {PassivateAfterEnd.TotalSeconds:0} s as a second variable: {Stats.F(whole.PerPace, "0.00")} MB per migration a second), "
            + $"{window.Count} samples from minute {Stats.F(window[0].Sample.Minutes, "0.0")} ({window[0].Sample.Completed} migrations, past the retention windows) to {Stats.F(last.Minutes, "0.0")} ({last.Completed}); "
            + $"standard error {Stats.F(whole.Error * 10_000, "0.00")}, so at most {Stats.F(bound, "0.00")} at two standard errors; per node {string.Join(" / ", perNode.Select(v => Stats.F(v, "0.00")))} MB per 10k; "
            + $"heap MB per node {PerNodeMb(window[0].Sample.HeapBytes)} → {PerNodeMb(last.HeapBytes)}; baseline: heap MB per node at the start {PerNodeMb(samples[0].HeapBytes)}");
    }

    /// <summary>
    /// Migrations completed per second in the <paramref name="span"/> before sample <paramref name="i"/>, the count at
    /// the span's start read between the two samples around it (samples come every ~20 s).
    /// </summary>
    private static double EndedPerSecond(List<Sample> samples, int i, TimeSpan span)
    {
        var at = samples[i].Minutes - span.TotalMinutes;
        double before = samples[0].Completed;
        for (var j = i; j > 0; j--)
        {
            if (samples[j - 1].Minutes <= at)
            {
                var (a, b) = (samples[j - 1], samples[j]);
                before = b.Minutes == a.Minutes ? b.Completed : a.Completed + ((b.Completed - a.Completed) * (at - a.Minutes) / (b.Minutes - a.Minutes));
                break;
            }
        }

        return (samples[i].Completed - before) / span.TotalSeconds;
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private static string PerNodeMb(long[] bytes) => string.Join(" / ", bytes.Select(b => Stats.F(b / 1e6, "0.0")));

    /// <summary>
    /// A least-squares fit of y = a + <see cref="Slope"/>·x + <see cref="PerPace"/>·p: the slope's standard error (what
    /// the samples' scatter leaves uncertain) and the residuals' standard deviation (<see cref="Scatter"/>).
    /// </summary>
    private readonly record struct Fitted(double Slope, double Error, double PerPace, double Scatter);

    /// <summary>
    /// Least squares of y over x and p (p all equal: over x alone); NaN where the points cannot tell the slope (no more
    /// points than parameters: 3 with p, 2 without; or x not varying apart from p).
    /// </summary>
    private static Fitted Fit(IEnumerable<(double X, double P, double Y)> points)
    {
        var list = points.ToList();
        var (mx, mp, my) = (list.Average(q => q.X), list.Average(q => q.P), list.Average(q => q.Y));
        double Sum(Func<(double X, double P, double Y), double> f) => list.Sum(f);
        var sxx = Sum(q => (q.X - mx) * (q.X - mx));
        var spp = Sum(q => (q.P - mp) * (q.P - mp));
        var sxp = Sum(q => (q.X - mx) * (q.P - mp));
        var sxy = Sum(q => (q.X - mx) * (q.Y - my));
        var spy = Sum(q => (q.P - mp) * (q.Y - my));
        var withPace = spp > 0;
        var det = withPace ? (sxx * spp) - (sxp * sxp) : sxx;
        var parameters = withPace ? 3 : 2;
        if (list.Count <= parameters || det <= 0)
        {
            return new Fitted(double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var slope = withPace ? ((spp * sxy) - (sxp * spy)) / det : sxy / sxx;
        var perPace = withPace ? ((sxx * spy) - (sxp * sxy)) / det : 0;
        var variance = Sum(q => Math.Pow(q.Y - my - (slope * (q.X - mx)) - (perPace * (q.P - mp)), 2)) / (list.Count - parameters);
        return new Fitted(slope, Math.Sqrt(variance * (withPace ? spp / det : 1 / sxx)), perPace, Math.Sqrt(variance));
    }

    /// <summary>
    /// The samples of a soak's CSV (as <see cref="Csv"/> writes them); the journal's kinds of rows come back with the
    /// CSV's names (<c>migration</c>, <c>table snapshot</c>, <c>sharding_remembered_entities</c>).
    /// </summary>
    private static List<Sample> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines.Length > 1 ? lines[0].Split(',') : throw new ArgumentException($"--soak-samples: '{path}' holds no samples");
        var live = header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith("live_heap_bytes_node_", StringComparison.Ordinal)).Select(c => c.i).ToList();
        var small = header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith("small_object_heap_bytes_node_", StringComparison.Ordinal)).Select(c => c.i).ToList();
        var rows = header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith("rows_", StringComparison.Ordinal)).ToList();
        if (header[0] != "minutes" || header[1] != "completed" || live.Count == 0 || live.Count != small.Count)
        {
            throw new ArgumentException($"--soak-samples: '{path}' is not a soak's samples (header '{lines[0]}')");
        }

        return [.. lines.Skip(1).Where(l => l.Length > 0).Select((line, n) =>
        {
            var cells = line.Split(',');
            double Number(int i) => cells.Length == header.Length && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new ArgumentException($"--soak-samples: '{path}' line {n + 2}: '{(i < cells.Length ? cells[i] : "")}' in column {header[i]} is not a number");
            var heaps = live.Zip(small, (l, s) => new NodeHeap.Live((long)Number(s), (long)Number(l) - (long)Number(s))).ToArray();
            var kinds = rows.ToDictionary(c => RowKind(c.h[5..]), c => (long)Number(c.i), StringComparer.Ordinal);
            return new Sample(Number(0), (int)Number(1), heaps, new SortedDictionary<string, long>(kinds, StringComparer.Ordinal));
        })];
    }

    private static string RowKind(string column) => column.StartsWith("table_", StringComparison.Ordinal) ? "table " + column[6..] : column;

    private static string Csv(List<Sample> samples)
    {
        var kinds = samples.SelectMany(s => s.Rows.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder("minutes,completed," + string.Join(',', samples[0].HeapBytes.Select((_, i) => $"live_heap_bytes_node_{i + 1}")) + ","
            + string.Join(',', samples[0].SmallBytes.Select((_, i) => $"small_object_heap_bytes_node_{i + 1}")) + "," + string.Join(',', kinds.Select(k => "rows_" + System.Text.RegularExpressions.Regex.Replace(k, "[^a-z0-9]+", "_").Trim('_'))) + "\n");
        foreach (var s in samples)
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Minutes:0.00},{s.Completed},{string.Join(',', s.HeapBytes)},{string.Join(',', s.SmallBytes)},{string.Join(',', kinds.Select(k => s.Rows.GetValueOrDefault(k)))}\n");
        }

        return text.ToString();
    }

    /// <summary>Live heap per node on the left axis, journal rows on the right (the migrations' own events, and all others), over minutes.</summary>
    private static void Plot(List<Sample> samples, int from, string png, int minutes, string journal)
    {
        var plot = new ScottPlot.Plot();
        var x = samples.Select(s => s.Minutes).ToArray();
        for (var n = 0; n < samples[0].HeapBytes.Length; n++)
        {
            var line = plot.Add.ScatterLine(x, samples.Select(s => s.HeapBytes[n] / 1e6).ToArray());
            line.LegendText = $"live heap after full GC, node-{n + 1} (MB)";
            line.LineWidth = 2;
        }

        // The migrations' own events are their history, kept by design (GET /migrations/{id} reads any migration ever
        // run from them); every other kind of row is to stay flat.
        var history = plot.Add.ScatterLine(x, samples.Select(s => (double)s.Rows.GetValueOrDefault("migration")).ToArray());
        history.LegendText = "journal rows: migrations' events, their history (right)";
        history.Axes.YAxis = plot.Axes.Right;
        history.LinePattern = ScottPlot.LinePattern.Dashed;
        var bounded = plot.Add.ScatterLine(x, samples.Select(s => (double)s.Rows.Where(r => r.Key != "migration" && !r.Key.StartsWith("table ", StringComparison.Ordinal)).Sum(r => r.Value)).ToArray());
        bounded.LegendText = "journal rows: all other actors' events (right)";
        bounded.Axes.YAxis = plot.Axes.Right;
        bounded.LinePattern = ScottPlot.LinePattern.Dotted;
        if (from >= 0)
        {
            var window = plot.Add.VerticalLine(samples[from].Minutes);
            window.LegendText = "retention windows passed";
        }

        plot.Title($"Soak: 3 node processes, {journal}, {minutes} min, {samples[^1].Completed} migrations");
        plot.XLabel("minutes");
        plot.YLabel("MB");
        plot.Axes.Right.Label.Text = "journal rows";
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(png, 1000, 500);
    }
}
