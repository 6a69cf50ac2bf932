using System.Globalization;
using System.Text.RegularExpressions;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Devices.Topology;

/// <summary>
/// Loads a YAML topology file into a <see cref="Topology"/>, or reports every bad value with its file, line, column
/// and the value. Nothing is half-loaded: one error and the caller gets no topology.
/// </summary>
/// <remarks>
/// Shape (keys are case-sensitive; unknown keys are errors so a typo never silently means a default):
/// <code>
/// workloads:                       # optional
///   - id: vm-web                   # unique
///     dirtyRate: 64MiB/s           # optional: bytes/s, units B KiB MiB GiB (KB MB GB = powers of 1000), "/s" optional
/// hosts:                           # required, at least one
///   - id: host-a                   # unique
///     node: node-1                 # optional
///     pfs:
///       - address: "0000:3b:00.0"  # dddd:bb:dd.f, unique on its host
///         driver: mlx5             # mlx5 | hisi_acc | pds | virtio | nvme
///         deviceType: ConnectX-7
///         firmware: "28.41.1000"
///         maxVfs: 8                # 1..4096
///         maxConcurrentMigrations: 4      # optional, >= 1
///         flags: STOP_COPY|P2P     # optional: a defined set, a subset of the driver's
///         boardId: MT_0000000838   # optional: mlx5 PSID / hisi_acc queue isolation
///         profiles: [eth-migratable, eth-small]   # known to the driver, no duplicates
///         vfs:                     # optional, at most maxVfs
///           - index: 0             # 0..maxVfs-1, unique on its PF
///             kind: vfio           # vfio | kernel
///             profile: eth-small   # offered by this PF
///             workload: vm-web     # optional, declared under workloads
/// </code>
/// Cross rules: a workload's VFs are all on one host (a VM runs in one place); a VF of kind <c>kernel</c> belongs to
/// no workload (it is bound on the host, not handed to a VM); a workload with several VFs needs P2P on every one of
/// their PFs (vfio-migration.md §1.10: multi-device migration requires P2P quiescence).
/// </remarks>
public static partial class TopologyLoader
{
    private static readonly string[] RootKeys = ["hosts", "workloads"];
    private static readonly string[] WorkloadKeys = ["id", "dirtyRate"];
    private static readonly string[] HostKeys = ["id", "node", "pfs"];
    private static readonly string[] PfKeys =
        ["address", "driver", "deviceType", "firmware", "maxVfs", "maxConcurrentMigrations", "flags", "boardId", "profiles", "vfs"];

    private static readonly string[] VfKeys = ["index", "kind", "profile", "workload"];

    /// <summary>Loads a file; throws <see cref="TopologyException"/> listing every error.</summary>
    public static Topology Load(string path)
    {
        var result = TryLoad(path);
        return result.Topology ?? throw new TopologyException(result.Errors);
    }

    /// <summary>Loads a file; the result holds the topology or every error.</summary>
    public static TopologyLoadResult TryLoad(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new TopologyLoadResult(null, [new TopologyError(path, 0, 0, $"cannot read topology file: {e.Message}")]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses YAML text; <paramref name="fileName"/> is what errors name.</summary>
    public static TopologyLoadResult Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var ctx = new Context(fileName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            ctx.Error(e.Start, $"YAML syntax error: {e.InnerException?.Message ?? e.Message}");
            return ctx.Result(null);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            ctx.Error(stream.Documents.Count == 0 ? Mark.Empty : stream.Documents[0].RootNode.Start, "the topology must be a mapping with 'hosts' (and optionally 'workloads')");
            return ctx.Result(null);
        }

        ctx.CheckKeys(root, RootKeys, "topology");
        var workloads = ParseWorkloads(ctx, root);
        var hosts = ParseHosts(ctx, root, workloads);
        CheckWorkloads(ctx, hosts, workloads);
        return ctx.Result(ctx.HasErrors ? null : new Topology(fileName, [.. hosts.Select(h => h.Host)], [.. workloads.Values.Select(w => w.Workload)]));
    }

    private static Dictionary<string, (TopologyWorkload Workload, YamlNode Node)> ParseWorkloads(Context ctx, YamlMappingNode root)
    {
        var result = new Dictionary<string, (TopologyWorkload, YamlNode)>(StringComparer.Ordinal);
        if (ctx.Child(root, "workloads") is not { } node)
        {
            return result;
        }

        foreach (var item in ctx.Sequence(node, "workloads"))
        {
            if (ctx.Mapping(item, "workload") is not { } map)
            {
                continue;
            }

            ctx.CheckKeys(map, WorkloadKeys, "workload");
            var id = ctx.RequiredString(map, "id", "workload");
            long? rate = null;
            if (ctx.Child(map, "dirtyRate") is YamlScalarNode rateNode)
            {
                rate = ParseRate(rateNode.Value);
                if (rate is null)
                {
                    ctx.Error(rateNode.Start, $"workload '{id}': bad dirtyRate '{rateNode.Value}'; expected bytes per second such as 64MiB/s");
                }
            }

            if (id is null)
            {
                continue;
            }

            if (!result.TryAdd(id, (new TopologyWorkload(id, rate), map)))
            {
                ctx.Error(map.Children[new YamlScalarNode("id")].Start, $"duplicate workload id '{id}' (first at line {result[id].Item2.Start.Line})");
            }
        }

        return result;
    }

    private static List<(TopologyHost Host, YamlNode Node, List<PfEntry> Pfs)> ParseHosts(
        Context ctx, YamlMappingNode root, Dictionary<string, (TopologyWorkload Workload, YamlNode Node)> workloads)
    {
        var hosts = new List<(TopologyHost, YamlNode, List<PfEntry>)>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        if (ctx.Child(root, "hosts") is not { } hostsNode)
        {
            ctx.Error(root.Start, "missing 'hosts'");
            return hosts;
        }

        var items = ctx.Sequence(hostsNode, "hosts").ToList();
        if (items.Count == 0 && hostsNode is YamlSequenceNode)
        {
            ctx.Error(hostsNode.Start, "'hosts' is empty; a topology needs at least one host");
        }

        foreach (var item in items)
        {
            if (ctx.Mapping(item, "host") is not { } map)
            {
                continue;
            }

            ctx.CheckKeys(map, HostKeys, "host");
            var id = ctx.RequiredString(map, "id", "host");
            var node = ctx.OptionalString(map, "node");
            if (id is not null && !seen.TryAdd(id, map.Start.Line))
            {
                ctx.Error(ctx.Child(map, "id")!.Start, $"duplicate host id '{id}' (first at line {seen[id]})");
            }

            var pfs = new List<PfEntry>();
            var addresses = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            if (ctx.Child(map, "pfs") is { } pfsNode)
            {
                foreach (var pfItem in ctx.Sequence(pfsNode, $"host '{id}' pfs"))
                {
                    if (ParsePf(ctx, pfItem, id ?? "?", workloads) is { } pf)
                    {
                        if (!addresses.TryAdd(pf.Pf.Address, pf.AddressNode.Start.Line))
                        {
                            ctx.Error(pf.AddressNode.Start, $"host '{id}': duplicate PF address '{pf.Pf.Address}' (first at line {addresses[pf.Pf.Address]})");
                        }

                        pfs.Add(pf);
                    }
                }
            }

            hosts.Add((new TopologyHost(id ?? "?", node, [.. pfs.Select(p => p.Pf)]), map, pfs));
        }

        return hosts;
    }

    private static PfEntry? ParsePf(Context ctx, YamlNode item, string hostId, Dictionary<string, (TopologyWorkload Workload, YamlNode Node)> workloads)
    {
        if (ctx.Mapping(item, "PF") is not { } map)
        {
            return null;
        }

        ctx.CheckKeys(map, PfKeys, "PF");
        var address = ctx.RequiredString(map, "address", $"host '{hostId}' PF");
        var where = $"host '{hostId}' PF {address ?? "?"}";
        if (address is not null && !PciAddress().IsMatch(address))
        {
            ctx.Error(ctx.Child(map, "address")!.Start, $"{where}: bad PCI address '{address}'; expected domain:bus:device.function such as 0000:3b:00.0");
        }

        var driverName = ctx.RequiredString(map, "driver", where);
        DriverModel? model = null;
        if (driverName is not null && !DriverModels.TryGet(driverName, out model))
        {
            ctx.Error(ctx.Child(map, "driver")!.Start, $"{where}: unknown driver '{driverName}'; expected one of {string.Join(", ", DriverModels.All.Select(m => m.Name))}");
        }

        var deviceType = ctx.RequiredString(map, "deviceType", where);
        var firmware = ctx.RequiredString(map, "firmware", where);
        var boardId = ctx.OptionalString(map, "boardId");
        var maxVfs = ctx.RequiredInt(map, "maxVfs", where, 1, 4096);
        var maxMigrations = ctx.Child(map, "maxConcurrentMigrations") is not null ? ctx.RequiredInt(map, "maxConcurrentMigrations", where, 1, 4096) : null;
        MigrationFlags? flags = null;
        if (ctx.OptionalString(map, "flags") is { } flagText)
        {
            var flagNode = ctx.Child(map, "flags")!;
            if (!VfioNames.TryParseFlags(flagText, out var parsed, out var flagError))
            {
                ctx.Error(flagNode.Start, $"{where}: bad flags '{flagText}': {flagError}");
            }
            else if (model is not null && (parsed & ~model.Flags) != 0)
            {
                ctx.Error(flagNode.Start, $"{where}: flags '{flagText}' are not a subset of driver {model.Name}'s {model.Flags.Name()}");
            }
            else
            {
                flags = parsed;
            }
        }

        var profiles = new List<ProfileId>();
        if (ctx.Child(map, "profiles") is not { } profilesNode)
        {
            ctx.Error(map.Start, $"{where}: missing 'profiles'");
        }
        else
        {
            foreach (var p in ctx.Sequence(profilesNode, $"{where} profiles"))
            {
                if (p is not YamlScalarNode { Value: { Length: > 0 } text })
                {
                    ctx.Error(p.Start, $"{where}: a profile must be a name");
                    continue;
                }

                if (!ProfileId.TryParse(text, out var name, out var error))
                {
                    ctx.Error(p.Start, $"{where}: {error}");
                }
                else if (profiles.Contains(name))
                {
                    ctx.Error(p.Start, $"{where}: duplicate profile '{name}'");
                }
                else if (model is not null && model.FindProfile(name) is null)
                {
                    ctx.Error(p.Start, $"{where}: profile '{name}' is not known to driver {model.Name}; it knows {string.Join(", ", model.Profiles.Select(x => x.Name))}");
                }
                else
                {
                    profiles.Add(name);
                }
            }

            if (profiles.Count == 0 && profilesNode is YamlSequenceNode { Children.Count: 0 })
            {
                ctx.Error(profilesNode.Start, $"{where}: 'profiles' is empty");
            }
        }

        var vfs = new List<(TopologyVf Vf, YamlMappingNode Node)>();
        if (ctx.Child(map, "vfs") is { } vfsNode)
        {
            var vfItems = ctx.Sequence(vfsNode, $"{where} vfs").ToList();
            if (maxVfs is { } max && vfItems.Count > max)
            {
                ctx.Error(vfsNode.Start, $"{where}: {vfItems.Count} VFs listed but maxVfs is {max}");
            }

            var indexes = new Dictionary<int, long>();
            foreach (var vfItem in vfItems)
            {
                if (ParseVf(ctx, vfItem, where, maxVfs, profiles, model, workloads) is not { } vf)
                {
                    continue;
                }

                if (!indexes.TryAdd(vf.Vf.Index, vf.Node.Start.Line))
                {
                    ctx.Error(ctx.Child(vf.Node, "index")!.Start, $"{where}: duplicate VF index {vf.Vf.Index} (first at line {indexes[vf.Vf.Index]})");
                }

                vfs.Add(vf);
            }
        }

        if (address is null || driverName is null || deviceType is null || firmware is null || maxVfs is null)
        {
            return null;
        }

        var pf = new TopologyPf(address, driverName, deviceType, firmware, maxVfs.Value, maxMigrations, flags, boardId, profiles, [.. vfs.Select(v => v.Vf)]);
        return new PfEntry(pf, ctx.Child(map, "address")!, model, vfs);
    }

    private static (TopologyVf Vf, YamlMappingNode Node)? ParseVf(
        Context ctx, YamlNode item, string where, int? maxVfs, List<ProfileId> profiles, DriverModel? model,
        Dictionary<string, (TopologyWorkload Workload, YamlNode Node)> workloads)
    {
        if (ctx.Mapping(item, "VF") is not { } map)
        {
            return null;
        }

        ctx.CheckKeys(map, VfKeys, "VF");
        var index = ctx.RequiredInt(map, "index", $"{where} VF", 0, int.MaxValue);
        var vfWhere = $"{where} VF {index?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
        if (index is { } i && maxVfs is { } max && i >= max)
        {
            ctx.Error(ctx.Child(map, "index")!.Start, $"{vfWhere}: index {i} is not below maxVfs {max}");
        }

        var kindText = ctx.RequiredString(map, "kind", vfWhere);
        VfKind? kind = kindText switch
        {
            "vfio" => VfKind.Vfio,
            "kernel" => VfKind.Kernel,
            null => null,
            _ => null,
        };
        if (kindText is not null && kind is null)
        {
            ctx.Error(ctx.Child(map, "kind")!.Start, $"{vfWhere}: bad kind '{kindText}'; expected vfio or kernel");
        }

        ProfileId? profile = null;
        if (ctx.RequiredString(map, "profile", vfWhere) is { } profileText)
        {
            var at = ctx.Child(map, "profile")!.Start;
            if (!ProfileId.TryParse(profileText, out var p, out var error))
            {
                ctx.Error(at, $"{vfWhere}: {error}");
            }
            else if (!profiles.Contains(p))
            {
                ctx.Error(at, model?.FindProfile(p) is not null
                    ? $"{vfWhere}: profile '{p}' is not offered by this PF (offers {string.Join(", ", profiles)})"
                    : $"{vfWhere}: profile '{p}' is not offered by this PF and not known to driver {model?.Name ?? "?"}");
            }
            else
            {
                profile = p;
            }
        }

        var workload = ctx.OptionalString(map, "workload");
        if (workload is not null && !workloads.ContainsKey(workload))
        {
            ctx.Error(ctx.Child(map, "workload")!.Start, $"{vfWhere}: unknown workload '{workload}'; declare it under 'workloads'");
        }

        if (workload is not null && kind == VfKind.Kernel)
        {
            ctx.Error(ctx.Child(map, "workload")!.Start, $"{vfWhere}: a kernel-kind VF is bound on the host and cannot belong to workload '{workload}'");
        }

        if (index is null || kind is null || profile is null)
        {
            return null;
        }

        return (new TopologyVf(index.Value, kind.Value, profile.Value, workload), map);
    }

    private static void CheckWorkloads(
        Context ctx, List<(TopologyHost Host, YamlNode Node, List<PfEntry> Pfs)> hosts,
        Dictionary<string, (TopologyWorkload Workload, YamlNode Node)> workloads)
    {
        var members = (from h in hosts
                       from p in h.Pfs
                       from v in p.Vfs
                       where v.Vf.Workload is not null
                       select (Host: h.Host.Id, Pf: p, v.Vf, v.Node)).ToList();
        foreach (var group in members.GroupBy(m => m.Vf.Workload!))
        {
            var list = group.ToList();
            var firstHost = list[0].Host;
            foreach (var m in list.Where(m => m.Host != firstHost))
            {
                ctx.Error(ctx.Child(m.Node, "workload")!.Start,
                    $"workload '{group.Key}' has VFs on two hosts: '{firstHost}' and '{m.Host}' (VF {m.Vf.Index} of PF {m.Pf.Pf.Address}); a workload runs on one host");
            }

            if (list.Count < 2)
            {
                continue;
            }

            foreach (var m in list)
            {
                var flags = m.Pf.Pf.Flags ?? m.Pf.Model?.Flags ?? MigrationFlags.None;
                if (m.Pf.Model is not null && !flags.HasFlag(MigrationFlags.P2P))
                {
                    ctx.Error(ctx.Child(m.Node, "workload")!.Start,
                        $"workload '{group.Key}' has {list.Count} VFs but VF {m.Vf.Index} of PF {m.Pf.Pf.Address} ({m.Pf.Pf.Driver}, flags {flags.Name()}) lacks P2P; multi-VF migration needs P2P on every VF");
                }
            }
        }
    }

    /// <summary>Parses <c>64MiB/s</c>, <c>1.5 GiB</c>, <c>1000</c> into bytes per second; null when malformed.</summary>
    public static long? ParseRate(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var m = RateRegex().Match(text);
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var factor = m.Groups[2].Value switch
        {
            "" or "B" => 1d,
            "KiB" => 1024d,
            "MiB" => 1024d * 1024,
            "GiB" => 1024d * 1024 * 1024,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            _ => double.NaN,
        };
        var bytes = value * factor;
        return double.IsFinite(bytes) && bytes >= 0 && bytes < long.MaxValue ? (long)bytes : null;
    }

    [GeneratedRegex(@"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$")]
    private static partial Regex PciAddress();

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*(?:/s)?\s*$")]
    private static partial Regex RateRegex();

    private sealed record PfEntry(TopologyPf Pf, YamlNode AddressNode, DriverModel? Model, List<(TopologyVf Vf, YamlMappingNode Node)> Vfs);

    private sealed class Context(string file)
    {
        private readonly List<TopologyError> _errors = [];

        public bool HasErrors => _errors.Count > 0;

        public void Error(Mark mark, string message) =>
            _errors.Add(new TopologyError(file, (int)Math.Max(mark.Line, 1), (int)Math.Max(mark.Column, 1), message));

        public TopologyLoadResult Result(Topology? topology) =>
            new(topology, [.. _errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);

        public YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        public void CheckKeys(YamlMappingNode map, string[] allowed, string what)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "?";
                if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    Error(key.Start, $"unknown {what} key '{name}'; expected one of {string.Join(", ", allowed)}");
                }
            }
        }

        public YamlMappingNode? Mapping(YamlNode node, string what)
        {
            if (node is YamlMappingNode map)
            {
                return map;
            }

            Error(node.Start, $"expected a {what} mapping, found '{Describe(node)}'");
            return null;
        }

        public IEnumerable<YamlNode> Sequence(YamlNode node, string what)
        {
            if (node is YamlSequenceNode seq)
            {
                return seq.Children;
            }

            Error(node.Start, $"'{what}' must be a list, found '{Describe(node)}'");
            return [];
        }

        public string? RequiredString(YamlMappingNode map, string key, string where)
        {
            var node = Child(map, key);
            if (node is null)
            {
                Error(map.Start, $"{where}: missing '{key}'");
                return null;
            }

            if (node is not YamlScalarNode { Value: { Length: > 0 } value })
            {
                Error(node.Start, $"{where}: '{key}' must be a non-empty value, found '{Describe(node)}'");
                return null;
            }

            return value;
        }

        public string? OptionalString(YamlMappingNode map, string key)
        {
            var node = Child(map, key);
            if (node is null)
            {
                return null;
            }

            if (node is not YamlScalarNode { Value: { Length: > 0 } value })
            {
                Error(node.Start, $"'{key}' must be a non-empty value, found '{Describe(node)}'");
                return null;
            }

            return value;
        }

        public int? RequiredInt(YamlMappingNode map, string key, string where, int min, int max)
        {
            var text = RequiredString(map, key, where);
            if (text is null)
            {
                return null;
            }

            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                Error(Child(map, key)!.Start, $"{where}: bad {key} '{text}'; expected an integer {min}..{max}");
                return null;
            }

            return value;
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlScalarNode s => s.Value ?? "",
            YamlSequenceNode => "a list",
            YamlMappingNode => "a mapping",
            _ => node.NodeType.ToString(),
        };
    }
}
