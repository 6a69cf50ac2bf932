using System.Globalization;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Devices.Topology;
using Spectre.Console;

namespace Orchestrator.Node.Demo;

/// <summary>
/// <c>orchestrator demo --devices-only</c>: the device layer alone, in this process, without a cluster. Loads a
/// topology, migrates one workload VF between two
/// simulated PFs of compatible hosts in this process (target prepared in RESUMING, pre-copy rounds, P2P-first
/// switchover, stop-copy, load, commit, source released), then shows a load into an incompatible-firmware PF failing
/// cleanly and rolling back. Exit 0 when the state arrived byte-identical and the incompatible load was refused.
/// </summary>
internal static class DeviceDemo
{
    internal static async Task<int> RunAsync(DemoSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var path = settings.Topology ?? DemoTopology.Find();
        if (path is null || !File.Exists(path))
        {
            return Fail(console, $"topology file not found: '{path ?? DemoTopology.RelativePath}' (give --topology)");
        }

        if (settings.LatencyScale < 0 || !double.IsFinite(settings.LatencyScale))
        {
            return Fail(console, $"--latency-scale: bad value '{settings.LatencyScale.ToString(CultureInfo.InvariantCulture)}'; expected 0 or more");
        }

        var loaded = TopologyLoader.TryLoad(path);
        if (loaded.Topology is not { } topology)
        {
            foreach (var error in loaded.Errors)
            {
                console.WriteLine(error.ToString());
            }

            return Fail(console, $"{loaded.Errors.Count} error(s) in {path}; nothing started");
        }

        var options = new TopologySimulationOptions { Seed = settings.Seed, LatencyScale = settings.LatencyScale };
        var pfs = topology.Hosts
            .SelectMany(h => TopologyDriverFactory.CreateHost(topology, h.Id, options).Select(d => new HostPf(h.Id, d)))
            .ToList();
        PrintInventory(console, path, pfs);

        if (topology.FindWorkload(settings.Workload) is null)
        {
            return Fail(console, $"--workload: unknown workload '{settings.Workload}'; the topology has {string.Join(", ", topology.Workloads.Select(w => w.Id))}");
        }

        var (sourceHost, sourcePf, sourceVf) = topology.VfsOf(settings.Workload)[0];
        var source = pfs.Single(p => p.Host == sourceHost.Id && p.Driver.Descriptor.Address == sourcePf.Address);
        var profile = sourceVf.Profile;
        var target = pfs.FirstOrDefault(p => p.Host != sourceHost.Id && Compatible(source.Driver, p.Driver, profile) && HasFreeVf(p.Driver));
        if (target is null)
        {
            return Fail(console, $"no compatible target PF with a free VF for {sourcePf.Driver} {sourcePf.DeviceType} firmware {sourcePf.Firmware} profile {profile}");
        }

        var info = source.Driver.GetVfInfo(sourceVf.Index);
        console.MarkupLine($"[bold]Migrating[/] workload [cyan]{Esc(settings.Workload)}[/]: VF {sourceVf.Index} of {Esc(source.Name)} " +
                           $"({Esc(sourcePf.Driver)} {Esc(sourcePf.DeviceType)}, {Esc(profile.Value)}, {Bytes(info.StateBytes)} state, " +
                           $"workload dirtying {Bytes(info.DirtyBytesPerSecond)}/s) -> {Esc(target.Name)}");
        var result = await LocalMigration.RunAsync(source.Driver, sourceVf.Index, target.Driver, new LocalMigrationOptions
        {
            MinPreCopyRounds = 3,
            OnStep = line => console.MarkupLine($"  [grey]-[/] {Esc(line)}"),
            OnRound = r => console.MarkupLine(
                $"  [grey]-[/] pre-copy round {r.Round}: {Bytes(r.Bytes),10} in {Ms(r.Duration),8}; " +
                $"initial {Bytes(r.InitialBytes)}, dirty {Bytes(r.DirtyBytes)}, stop-copy {Bytes(r.StopCopyBytes)}, " +
                $"predicted downtime {Ms(r.PredictedDowntime)}"),
            // The VM keeps running between rounds, so the next round has dirty pages to send.
            AfterRound = (_, ct) => new ValueTask(Task.Delay(TimeSpan.FromMilliseconds(100 * settings.LatencyScale), ct)),
        }, cancellationToken);
        PrintResult(console, result);
        if (!result.Succeeded)
        {
            return Fail(console, $"migration rolled back: {result.Failure}");
        }

        var incompatible = pfs.FirstOrDefault(p => p.Host != target.Host && p.Host != sourceHost.Id &&
                                                   p.Driver.Descriptor.Driver == sourcePf.Driver &&
                                                   p.Driver.Descriptor.DeviceType == sourcePf.DeviceType &&
                                                   p.Driver.Descriptor.Firmware != sourcePf.Firmware &&
                                                   p.Driver.Descriptor.Profiles.Contains(profile));
        string refused = "no incompatible PF in this topology";
        var refusedAsExpected = true;
        if (incompatible is not null)
        {
            console.WriteLine();
            console.MarkupLine($"[bold]Loading into an incompatible PF[/]: {Esc(settings.Workload)} from {Esc(target.Name)} to {Esc(incompatible.Name)} " +
                               $"(firmware {Esc(incompatible.Driver.Descriptor.Firmware)} vs {Esc(target.Driver.Descriptor.Firmware)})");
            var bad = await LocalMigration.RunAsync(target.Driver, result.TargetVf, incompatible.Driver, new LocalMigrationOptions
            {
                OnStep = line => console.MarkupLine($"  [grey]-[/] {Esc(line)}"),
            }, cancellationToken);
            refusedAsExpected = !bad.Succeeded && target.Driver.GetDeviceState(result.TargetVf) == VfioDeviceState.Running;
            refused = bad.Succeeded ? "unexpectedly accepted" : $"refused and rolled back ({Reason(bad.Failure)})";
            console.MarkupLine(bad.Succeeded
                ? "  [red]the incompatible PF accepted the state[/]"
                : $"  [green]refused[/]: {Esc(bad.Failure ?? "")}");
            console.MarkupLine($"  source VF {result.TargetVf} on {Esc(target.Name)} is {target.Driver.GetDeviceState(result.TargetVf).Name()}, " +
                               $"target PF has {incompatible.Driver.ListVfs().Count} VF(s) and {incompatible.Driver.ActiveMigrations} migration(s) open");
        }

        var ok = result.ChecksumsEqual && refusedAsExpected;
        console.WriteLine();
        console.WriteLine(
            $"demo: {(ok ? "OK" : "FAILED")}: {settings.Workload} migrated {source.Name} -> {target.Name} in {Ms(result.Total)} " +
            $"(downtime {Ms(result.Downtime)}, {result.Rounds.Count} pre-copy round(s), {Bytes(result.PreCopyBytes + result.StopCopyBytes)}), " +
            $"checksums {(result.ChecksumsEqual ? "equal" : "DIFFER")}; incompatible load {refused}");
        return ok ? 0 : 1;
    }

    private static bool Compatible(SimulatedPfDriver source, SimulatedPfDriver target, ProfileId profile) =>
        target.Descriptor.Driver == source.Descriptor.Driver &&
        target.Descriptor.DeviceType == source.Descriptor.DeviceType &&
        target.Descriptor.Firmware == source.Descriptor.Firmware &&
        target.Config.BoardId == source.Config.BoardId &&
        target.Descriptor.Profiles.Contains(profile);

    private static bool HasFreeVf(SimulatedPfDriver pf) => pf.ListVfs().Count < pf.Descriptor.MaxVfs;

    private static void PrintInventory(IAnsiConsole console, string path, List<HostPf> pfs)
    {
        var table = new Table { Title = new TableTitle($"Topology {Esc(path)}") };
        table.AddColumns("Host", "PF", "Driver", "Device type", "Firmware", "Flags", "VFs", "Migrations");
        foreach (var p in pfs)
        {
            var d = p.Driver.Descriptor;
            table.AddRow(Esc(p.Host), Esc(d.Address), Esc(d.Driver), Esc(d.DeviceType), Esc(d.Firmware), Esc(d.MigrationFlags.Name()),
                $"{p.Driver.ListVfs().Count}/{d.MaxVfs}", $"{p.Driver.ActiveMigrations}/{d.MaxConcurrentMigrations}");
        }

        console.Write(table);
    }

    private static void PrintResult(IAnsiConsole console, LocalMigrationResult r)
    {
        var table = new Table { Title = new TableTitle(r.Succeeded ? "Migration completed" : "Migration rolled back") };
        table.AddColumns("", "");
        table.AddRow("source path", Esc(string.Join(" -> ", r.SourcePath.Select(s => s.Name()))));
        table.AddRow("target path", Esc(string.Join(" -> ", r.TargetPath.Select(s => s.Name()))));
        table.AddRow("pre-copy", $"{r.Rounds.Count} round(s), {Bytes(r.PreCopyBytes)}");
        table.AddRow("stop-copy", Bytes(r.StopCopyBytes));
        table.AddRow("downtime", Ms(r.Downtime));
        table.AddRow("total", Ms(r.Total));
        if (r.Total > TimeSpan.Zero)
        {
            table.AddRow("throughput", $"{Bytes((long)((r.PreCopyBytes + r.StopCopyBytes) / r.Total.TotalSeconds))}/s (including device latencies)");
        }

        table.AddRow("saved checksum", r.Saved is { } s ? $"{s.Checksum:x32} ({Bytes(s.Bytes)})" : "-");
        table.AddRow("loaded checksum", r.Loaded is { } l ? $"{l.Checksum:x32} ({Bytes(l.Bytes)})" : "-");
        table.AddRow("state digest", r.Saved is { } sd ? $"source {sd.StateDigest:x32}, target {r.TargetStateDigest:x32}" : "-");
        table.AddRow("byte-identical", r.ChecksumsEqual ? "[green]yes[/]" : "[red]no[/]");
        console.Write(table);
    }

    private static string Reason(string? failure)
    {
        const string marker = "incompatible state";
        var at = failure?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        var tail = at >= 0 ? failure![at..] : failure ?? "";
        var colon = tail.IndexOf(": ", StringComparison.Ordinal);
        return colon >= 0 ? tail[(colon + 2)..] : tail;
    }

    private static int Fail(IAnsiConsole console, string message)
    {
        console.WriteLine($"orchestrator demo: {message}");
        return 2;
    }

    private static string Esc(string text) => Markup.Escape(text);

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.0} ms";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    private sealed record HostPf(string Host, SimulatedPfDriver Driver)
    {
        public string Name => $"{Host}/{Driver.Descriptor.Address}";
    }
}

/// <summary>The device demo's options.</summary>
internal sealed record DemoSettings(string? Topology, ulong Seed, string Workload, double LatencyScale);
