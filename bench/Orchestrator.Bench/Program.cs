using System.Diagnostics;
using Orchestrator.Bench;
using Orchestrator.Cluster.Hosting;

// `./run bench [--quick] [--json]`: every figure of issue 8 with its baseline measured in this run. The table and the
// notes go to stderr when --json is given (stdout then holds one JSON object), else to stdout.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("bench: " + e.Message);
    return 2;
}

var log = options.Json ? Console.Error : Console.Out;
var report = new BenchReport(log);
var total = Stopwatch.StartNew();
log.WriteLine($"orchestrator bench{(options.Quick ? " --quick" : "")}: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, load {LoadAverage()}");

var inproc = new InProcFigures(options, report);
async Task Run(string group, string key, Func<Task> body)
{
    if (!options.Wants(group))
    {
        return;
    }

    var watch = Stopwatch.StartNew();
    log.WriteLine($"[{group}] …");
    try
    {
        await body();
    }
    catch (Exception e)
    {
        report.Failed(key, e);
    }

    log.WriteLine($"[{group}] {watch.Elapsed.TotalSeconds:0.0} s");
}

double tcp = 0;
await Run("tcp", "tcp", async () => tcp = await inproc.TcpBaselineAsync());
if (tcp <= 0)
{
    tcp = await InProcFigures.MeasureTcpAsync(128L << 20);
}

await Run("downtime", "downtime_ratio", () => inproc.DowntimeAsync(tcp));
await Run("control", "control_overhead_ms_inproc", async () =>
{
    await inproc.ControlOverheadAsync(PersistenceProvider.Sqlite, "control_overhead_ms_inproc");
    try
    {
        // The same with the in-memory journal: what the journal costs of the overhead.
        await inproc.ControlOverheadAsync(PersistenceProvider.InMemory, "");
    }
    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
    {
        report.Note($"control overhead with the in-memory journal: failed, {e.Message}");
    }
});
await Run("multivf", "multi_vf_downtime_ratio", inproc.MultiVfAsync);
await Run("prediction", "downtime_prediction_error", inproc.PredictionAsync);
await Run("evacuation", "evacuation_ratio", () => inproc.EvacuationAsync(tcp));
await Run("recovery", "recovery_s_over_detection", inproc.RecoveryAsync);
await Run("memory", "vf_actor_bytes", inproc.VfMemoryAsync);
var longRun = new LongRunFigures(options, report);
await Run("index", "index_bytes_after_50k_over_frame", longRun.IndexAsync);
await Run("authority", "authority_recovery_ratio_after_50k", longRun.AuthorityRecoveryAsync);
await Run("3proc", "control_overhead_ms_3proc", () => new ThreeProcessFigures(options, report).RunAsync());
if (options.Wants("3proc") && report.Figures.All(f => f.Key != "migrations_per_s_3proc"))
{
    report.Add("migrations_per_s_3proc", double.NaN, "≥ 500", _ => false, "not measured: the 3-process run failed before it (see above)");
}

await Run("soak", "memory_growth_mb_per_10k_migrations", () => new SoakFigures(options, report).RunAsync());

var header = $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.MachineName}: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average at the end {LoadAverage()}; whole run {total.Elapsed.TotalSeconds:0} s{(options.Quick ? " (--quick)" : "")}.";
log.WriteLine();
log.WriteLine(report.Table(header));
if (options.Json)
{
    Console.Out.WriteLine(report.Json());
}

return report.Figures.Any(f => f.How.StartsWith("failed", StringComparison.Ordinal)) ? 1 : 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
