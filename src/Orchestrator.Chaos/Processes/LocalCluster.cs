using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Chaos.Processes;

/// <summary>
/// A local cluster of real node processes, run by the demo, the chaos harness and tests: N <c>orchestrator node</c> processes of this build on 127.0.0.1, one SQLite journal file shared
/// by all, a topology whose hosts are spread over the nodes, a bearer token. Every process it starts is written to
/// <c>demo.pids</c> and ended by <see cref="Stop"/> (also on Ctrl-C and on failure), or by <see cref="StopKept"/>
/// from another process when the cluster was kept.
/// </summary>
public sealed partial class LocalCluster
{
    public const string PidFileName = "demo.pids";
    public const string TokenFileName = "demo-token";

    private readonly LocalClusterOptions _options;
    private readonly object _gate = new();
    private bool _stopped;

    private LocalCluster(LocalClusterOptions options, string directory, string token, IReadOnlyList<LocalNode> nodes, int hosts)
    {
        _options = options;
        WorkDirectory = directory;
        Token = token;
        Nodes = nodes;
        Hosts = hosts;
    }

    /// <summary>The demo's working directory (configs, journal, logs, topology).</summary>
    public string WorkDirectory { get; }

    public string Token { get; }

    public IReadOnlyList<LocalNode> Nodes { get; }

    /// <summary>How many hosts the topology has, all of which must appear in the inventory.</summary>
    public int Hosts { get; }

    public string JournalPath => Path.Combine(WorkDirectory, "journal.db");

    /// <summary>The cluster's CA (PEM) when it runs TLS (<see cref="LocalClusterOptions.Tls"/>): clients trust it; else null.</summary>
    public string? CaFile { get; private init; }

    /// <summary>An API client of <paramref name="node"/> that trusts the cluster's CA when it runs TLS.</summary>
    public OrchestratorApiClient Client(LocalNode node, string? token, TimeSpan? timeout = null, int retries = OrchestratorApiClient.DefaultRetries)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new OrchestratorApiClient(node.Api, token, timeout: timeout, retries: retries, caFile: CaFile);
    }

    /// <summary>Where node <paramref name="name"/> writes its spans when the cluster's config sets <c>tracing.file</c> to it.</summary>
    public static string SpansPath(string directory, string name) => Path.Combine(directory, name + ".spans.jsonl");

    /// <summary>
    /// The topology a cluster runs (<paramref name="topology"/>, else <c>cluster-config/demo-topology.yaml</c> found
    /// upwards) and its host count; adds what is wrong to <paramref name="errors"/>, naming the file.
    /// </summary>
    public static (string? Path, int Hosts) LoadTopology(string? topology, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var path = topology ?? DemoTopology.Find();
        if (path is null || !File.Exists(path))
        {
            errors.Add($"--topology: file not found: '{path ?? DemoTopology.RelativePath}'");
            return (null, 0);
        }

        if (errors.Count > 0)
        {
            return (path, 0);
        }

        var loaded = TopologyLoader.TryLoad(path);
        if (loaded.Topology is null)
        {
            errors.AddRange(loaded.Errors.Select(e => e.ToString()));
            return (path, 0);
        }

        return (path, loaded.Topology.Hosts.Count);
    }

    /// <summary>
    /// What a verb that starts a local cluster (the demo, the chaos harness) checks first: its options' own
    /// <paramref name="optionErrors"/> and the topology (exit <see cref="ExitCodes.BadInput"/>), then that the API ports are
    /// free (<see cref="ExitCodes.Conflict"/>). Every problem names the option or file; none: the topology to run.
    /// </summary>
    public static StartCheck CheckStart(IEnumerable<string> optionErrors, string? topology, int apiPortBase, int nodes)
    {
        var errors = optionErrors.ToList();
        var (path, hosts) = LoadTopology(topology, errors);
        if (errors.Count > 0)
        {
            return new StartCheck(ExitCodes.BadInput, errors, null, 0);
        }

        return BusyApiPorts(apiPortBase, nodes) is { } busy
            ? new StartCheck(ExitCodes.Conflict, [busy], null, 0)
            : new StartCheck(0, [], path, hosts);
    }

    /// <summary>Null when the API ports are free, else the message naming the taken ones and the option.</summary>
    public static string? BusyApiPorts(int apiPortBase, int nodes)
    {
        var busy = Enumerable.Range(apiPortBase, nodes).Where(LoopbackPorts.InUse).ToList();
        return busy.Count == 0
            ? null
            : $"--api-port-base: port(s) {string.Join(", ", busy)} on 127.0.0.1 are in use; give another --api-port-base";
    }

    /// <summary>A first API port with <paramref name="count"/> free ports from it on 127.0.0.1 (tests and runs that must not collide).</summary>
    public static int FreeApiPortBase(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = LoopbackPorts.Free(1)[0];
            if (start + count < 65000 && Enumerable.Range(start, count).All(p => !LoopbackPorts.InUse(p)))
            {
                return start;
            }
        }

        throw new LocalClusterException("no run of free ports on 127.0.0.1");
    }

    /// <summary>Writes the configs, the topology variant and the token; starts nothing.</summary>
    public static LocalCluster Prepare(LocalClusterOptions options, string topologyPath, int hostCount, string token)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = Path.GetFullPath(options.StateDirectory);
        var directory = Path.Combine(state, options.DirectoryName);
        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(directory);
        if (options.Histories)
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "history"));
        }

        var topology = Path.Combine(directory, "topology.yaml");
        File.WriteAllText(topology, SpreadHosts(File.ReadAllText(topologyPath), options.Nodes));
        WriteSecret(Path.Combine(state, TokenFileName), token + "\n");

        var free = LoopbackPorts.Free(options.Nodes * 2, Enumerable.Range(options.ApiPortBase, options.Nodes).ToHashSet());
        var akkaPorts = free.Take(options.Nodes).ToList();
        // Sorted: the lowest contact point is the one that forms a new cluster, and that is node-1, as before.
        var managementPorts = free.Skip(options.Nodes).Order().ToList();
        var addresses = Enumerable.Range(0, options.Nodes).Select(i => options.NodeAddress?.Invoke(i) ?? "127.0.0.1").ToList();
        // Every node is a contact point. Cluster Bootstrap forms a new cluster only at the lowest contact point and only
        // when every contact point has answered that it is in none; a node restarted alone, or cut off from the others,
        // keeps probing and joins the running cluster when it reaches it. (With node-1 as the only seed, a restarted
        // node-1 once formed a second cluster beside the running one: two incarnations of the same migrations.)
        var contactPoints = options.Nodes == 1
            ? string.Empty
            : string.Join(", ", Enumerable.Range(0, options.Nodes).Select(i => $"\"{addresses[i]}:{managementPorts[i]}\""));
        // TLS: a CA of this cluster only, and a certificate per node for the address it binds (and localhost).
        using var authority = options.Tls ? LocalAuthority.Create(Path.Combine(directory, "tls")) : null;
        var journal = Path.Combine(directory, "journal.db");
        var latency = options.LatencyScale ?? (options.Quick ? 0.2 : 1.0);
        var nodes = new List<LocalNode>();
        for (var i = 0; i < options.Nodes; i++)
        {
            var name = $"node-{i + 1}";
            var api = new Uri($"{(options.Tls ? "https" : "http")}://127.0.0.1:{options.ApiPortBase + i}");
            var tls = "tls.mode = off  # a local cluster: every address is on this machine";
            if (authority is not null)
            {
                var (certificate, key) = authority.Issue(name, [addresses[i], "127.0.0.1"]);
                tls = $"tls {{ certificate = \"{Hocon(certificate)}\", key = \"{Hocon(key)}\", ca = \"{Hocon(authority.CaPath)}\" }}";
            }

            var config = Path.Combine(directory, $"{name}.conf");
            var history = options.Histories ? Path.Combine(directory, "history", name + ".jsonl") : null;
            File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
                # Written by `orchestrator demo`; one file per node.
                node {
                  name = "{{name}}"
                  hostname = "{{addresses[i]}}"
                  port = {{akkaPorts[i]}}
                  topology = "{{Hocon(topology)}}"
                  latency-scale = {{latency}}
                  seed = {{options.Seed}}
                }
                cluster {
                  contact-points = [{{contactPoints}}]
                  management-port = {{managementPorts[i]}}
                  # The list is static and every contact point must answer before one forms a cluster: no need to wait 5 s.
                  bootstrap-stable-margin = 1s
                  roles = [coordinator, hosts]
                }
                persistence {
                  provider = {{options.PersistenceProvider ?? "sqlite"}}
                  connection-string = "{{Hocon(options.ConnectionString ?? $"Data Source={journal}")}}"
                }
                api {
                  url = "{{api.ToString().TrimEnd('/')}}"
                  token = "{{token}}"
                }
                {{tls}}
                {{(history is null ? string.Empty : $"history {{ path = \"{Hocon(history)}\" }}")}}
                {{options.ExtraConfig?.Invoke(name, directory) ?? string.Empty}}

                """));
            nodes.Add(new LocalNode(name, addresses[i], akkaPorts[i], managementPorts[i], api, config, Path.Combine(directory, $"{name}.log")) { HistoryPath = history });
        }

        return new LocalCluster(options, directory, token, nodes, hostCount) { CaFile = authority?.CaPath };
    }

    /// <summary>Starts every node process and writes the pid file.</summary>
    public void Start()
    {
        foreach (var node in Nodes)
        {
            StartNode(node);
        }
    }

    /// <summary>Starts (or restarts, after it died) one node's process and rewrites the pid file.</summary>
    public void StartNode(LocalNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var command = _options.NodeCommand ?? ThisBuild();
        {
            node.Process?.Dispose();
            // exec keeps the pid: the pid we record is the node's, and its output goes to its log, not to our terminal.
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            // With a process group (cgroup v2, for partitions) the shell joins it first: every socket the node opens is in it.
            start.ArgumentList.Add(node.ProcessGroup is null
                ? "exec \"$@\" >>\"$ORCHESTRATOR_DEMO_LOG\" 2>&1 </dev/null"
                : "echo $$ >\"$ORCHESTRATOR_CGROUP/cgroup.procs\" || exit 97; exec \"$@\" >>\"$ORCHESTRATOR_DEMO_LOG\" 2>&1 </dev/null");
            start.ArgumentList.Add("orchestrator-demo-node");
            foreach (var part in command)
            {
                start.ArgumentList.Add(part);
            }

            foreach (var part in _options.NodeVerb)
            {
                start.ArgumentList.Add(part);
            }

            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(node.ConfigPath);
            start.Environment["ORCHESTRATOR_DEMO_LOG"] = node.LogPath;
            if (node.ProcessGroup is { } group)
            {
                start.Environment["ORCHESTRATOR_CGROUP"] = group;
            }

            start.Environment["ORCHESTRATOR_TOKEN"] = Token;
            start.Environment["DOTNET_gcServer"] = "0";
            foreach (var (name, value) in _options.NodeEnvironment)
            {
                start.Environment[name] = value;
            }

            start.WorkingDirectory = WorkDirectory;
            node.Process = Process.Start(start) ?? throw new LocalClusterException($"{node.Name}: could not start {string.Join(' ', command)}");
            node.Starts++;
            WritePids();
        }
    }

    /// <summary>Ends one node's process if it still runs (kill -9) and starts it again: same config, journal, history file.</summary>
    public void RestartNode(LocalNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        KillNode(node);
        StartNode(node);
    }

    /// <summary>kill -9 of one node's process (a no-op when it already ended); waits until it is gone.</summary>
    public static void KillNode(LocalNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Process is not { } p)
        {
            return;
        }

        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            p.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// Waits until <paramref name="node"/> answers <c>/readyz</c> (member Up, runtime started, journal reachable); false
    /// when its process ended or <paramref name="limit"/> passed first. the reason is the last answer.
    /// </summary>
    public async Task<(bool Ready, string Why)> WaitNodeReadyAsync(LocalNode node, TimeSpan limit, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(time);
        var deadline = time.GetUtcNow() + limit;
        using var api = Client(node, null, retries: 0);
        string why;
        while (true)
        {
            if (await api.NotReadyAsync(ct) is not { } notReady)
            {
                return (true, "ready");
            }

            why = notReady;
            if (node.Process is { HasExited: true } p)
            {
                return (false, $"process exited with code {p.ExitCode}");
            }

            if (time.GetUtcNow() > deadline)
            {
                return (false, why.Length > 200 ? why[..200] : why);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), time, ct);
        }
    }

    /// <summary>
    /// The members <paramref name="node"/> vouches for, from its contact point (what Cluster Bootstrap itself asks): none
    /// while it is in no cluster, or not answering (starting, stopped).
    /// </summary>
    public static async Task<IReadOnlyList<string>> MembersAsync(LocalNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var body = await http.GetStringAsync(new Uri($"http://{node.Address}:{node.ManagementPort}/bootstrap/seed-nodes")).ConfigureAwait(false);
            using var json = System.Text.Json.JsonDocument.Parse(body);
            // Akka.Management's protocol types, serialized with their property names.
            return [.. json.RootElement.GetProperty(nameof(HttpBootstrapJsonProtocol.SeedNodes.Nodes)).EnumerateArray()
                .Select(n => n.GetProperty(nameof(HttpBootstrapJsonProtocol.ClusterMember.Node)).ToString())];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    /// <summary>Waits until every node's API answers and every host is in the inventory; fails naming the node that died.</summary>
    public async Task WaitReadyAsync(TimeProvider time, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + _options.StartTimeout;
        foreach (var node in Nodes)
        {
            using var client = Client(node, Token, TimeSpan.FromSeconds(5), retries: 0); // the harness retries itself; 5 s bounds one attempt
            while (!await client.IsHealthyAsync(ct))
            {
                Check(node, deadline, time, "its API answered");
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
            }
        }

        using var first = Client(Nodes[0], Token, TimeSpan.FromSeconds(5), retries: 0);
        while (true)
        {
            try
            {
                var hosts = await first.GetHostsAsync(ct);
                if (hosts.Value.Count >= Hosts)
                {
                    return;
                }
            }
            catch (ApiException) when (time.GetUtcNow() < deadline)
            {
                // Not ready yet (503 until the member is Up).
            }

            foreach (var node in Nodes)
            {
                Check(node, deadline, time, $"all {Hosts} hosts were in the inventory");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
        }
    }

    /// <summary>Ends every node process this cluster started (idempotent) and removes the pid file.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        foreach (var node in Nodes)
        {
            KillNode(node);
            node.Process?.Dispose();
        }

        File.Delete(PidFile(_options.StateDirectory));
    }

    /// <summary>Forgets the processes without ending them (<c>--keep</c>): the pid file stays for <see cref="StopKept"/>.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _stopped = true;
        }
    }

    /// <summary>
    /// The last lines of a node's log, to say why it died. When they are all frames of a stack trace, the line that
    /// named the exception comes first: the frames alone do not say what failed.
    /// </summary>
    public static string Tail(string path, int lines = 8)
    {
        if (!File.Exists(path))
        {
            return "(no log)";
        }

        var all = File.ReadAllLines(path);
        var start = Math.Max(0, all.Length - lines);
        var cause = Array.FindLastIndex(all, l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        var tail = all.Skip(start).Select(l => "    | " + l);
        if (cause >= 0 && cause < start)
        {
            tail = tail.Prepend("    | …").Prepend("    | " + all[cause]);
        }

        return string.Join(Environment.NewLine, tail);
    }

    public static string PidFile(string stateDirectory) => Path.Combine(Path.GetFullPath(stateDirectory), PidFileName);

    /// <summary>
    /// The live node processes a kept demo left in <paramref name="stateDirectory"/>: a pid counts only while its
    /// command line still names the demo's config file, so a reused pid is never touched.
    /// </summary>
    public static IReadOnlyList<(int Pid, string Name)> LiveKept(string stateDirectory)
    {
        var file = PidFile(stateDirectory);
        if (!File.Exists(file))
        {
            return [];
        }

        var live = new List<(int, string)>();
        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split('\t');
            if (parts.Length >= 3 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && IsOurs(pid, parts[2]))
            {
                live.Add((pid, parts[1]));
            }
        }

        return live;
    }

    /// <summary><c>orchestrator demo --stop</c>: ends the nodes of a kept demo; returns how many it ended.</summary>
    public static int StopKept(string stateDirectory, TextWriter output)
    {
        var stopped = 0;
        foreach (var (pid, name) in LiveKept(stateDirectory))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
                output.WriteLine($"stopped {name} (pid {pid})");
                stopped++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Ended meanwhile.
            }
        }

        File.Delete(PidFile(stateDirectory));
        return stopped;
    }

    /// <summary>Rewrites the <c>node:</c> of each host so the hosts are spread round-robin over <paramref name="nodes"/> nodes.</summary>
    internal static string SpreadHosts(string yaml, int nodes)
    {
        var index = 0;
        return NodeLine().Replace(yaml, m => $"{m.Groups[1].Value}node-{(index++ % nodes) + 1}");
    }

    private static bool IsOurs(int pid, string config)
    {
        var cmdline = $"/proc/{pid}/cmdline";
        try
        {
            return File.Exists(cmdline) && File.ReadAllText(cmdline).Replace('\0', ' ').Contains(config, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Check(LocalNode node, DateTimeOffset deadline, TimeProvider time, string what)
    {
        if (node.Process is { HasExited: true } p)
        {
            throw new LocalClusterException($"{node.Name} exited with code {p.ExitCode} before {what}; last lines of {node.LogPath}:{Environment.NewLine}{Tail(node.LogPath)}");
        }

        if (time.GetUtcNow() > deadline)
        {
            throw new LocalClusterException($"{node.Name} ({node.Api}) not ready after {_options.StartTimeout.TotalSeconds:0} s: waited until {what}; last lines of {node.LogPath}:{Environment.NewLine}{Tail(node.LogPath)}");
        }
    }

    private void WritePids()
    {
        var text = new StringBuilder();
        foreach (var node in Nodes.Where(n => n.Process is not null))
        {
            text.Append(CultureInfo.InvariantCulture, $"{node.Process!.Id}\t{node.Name}\t{node.ConfigPath}\t{node.Api}\n");
        }

        File.WriteAllText(PidFile(_options.StateDirectory), text.ToString());
    }

    /// <summary><c>dotnet orchestrator.dll</c> of the running build (the executable's directory, or a test's output).</summary>
    private static string[] ThisBuild()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");
        if (!File.Exists(dll))
        {
            throw new LocalClusterException($"no node to start: '{dll}' does not exist (run from the orchestrator executable or a build that references it)");
        }

        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet"
            ? p
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return [host, dll];
    }

    private static void WriteSecret(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }

    /// <summary><paramref name="text"/> escaped for a quoted HOCON string.</summary>
    public static string Hocon(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    [GeneratedRegex(@"^(\s+node:\s*)\S+", RegexOptions.Multiline)]
    private static partial Regex NodeLine();
}

/// <summary>How a <see cref="LocalCluster"/> is laid out and started: nodes, ports, directory, journal, latencies, extra config per node.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Node processes to start (each runs the hosts the topology gives it).</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>The first node's API port; node i serves <c>http://127.0.0.1:(base + i - 1)</c>.</summary>
    public int ApiPortBase { get; init; } = 7401;

    /// <summary>Seed of the simulated device state.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Faster device latencies (0.2 instead of 1) unless <see cref="LatencyScale"/> says otherwise.</summary>
    public bool Quick { get; init; }

    /// <summary>
    /// Remoting, the API (https) and the state stream over TLS, with a CA made for this cluster (<c>tls/</c> in its
    /// directory); off = clear text, said explicitly in each node's config (<c>tls.mode = off</c>).
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Where the token, the pid file and the cluster's directory go.</summary>
    public string StateDirectory { get; init; } = ".orchestrator";

    /// <summary>The command that starts a node, before the verb and <c>--config FILE</c>; null = this build (<c>dotnet orchestrator.dll</c>).</summary>
    public IReadOnlyList<string>? NodeCommand { get; init; }

    /// <summary>How long the cluster may take to answer with every host in the inventory.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Subdirectory of the state directory (recreated empty).</summary>
    public string DirectoryName { get; init; } = "demo";

    /// <summary>Device latency scale; null = 0.2 with <see cref="Quick"/>, else 1.</summary>
    public double? LatencyScale { get; init; }

    /// <summary><c>persistence.provider</c>; null = sqlite.</summary>
    public string? PersistenceProvider { get; init; }

    /// <summary><c>persistence.connection-string</c>; null = the shared SQLite file <c>journal.db</c>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>More HOCON for a node's config file, given its name and the cluster directory.</summary>
    public Func<string, string, string>? ExtraConfig { get; init; }

    /// <summary>Each node writes its history to <c>history/NAME.jsonl</c> in the cluster directory.</summary>
    public bool Histories { get; init; }

    /// <summary>The address node i (from 0) binds Akka remoting to; null = 127.0.0.1 for all.</summary>
    public Func<int, string>? NodeAddress { get; init; }

    /// <summary>The verb that runs a node (<c>--config FILE</c> follows): <c>node</c>, or the chaos harness's broken build.</summary>
    public IReadOnlyList<string> NodeVerb { get; init; } = ["node"];

    /// <summary>More environment variables of every node process (the bench sets the log level with one).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();
}

/// <summary>What <see cref="LocalCluster.CheckStart"/> found: problems and their exit code, or the topology to run.</summary>
/// <param name="ExitCode">0 when there is no problem.</param>
/// <param name="Problems">Each names the option or file.</param>
/// <param name="TopologyPath">The topology file, when there is no problem.</param>
/// <param name="Hosts">Its host count.</param>
public sealed record StartCheck(int ExitCode, IReadOnlyList<string> Problems, string? TopologyPath, int Hosts);

/// <summary>A node of a local cluster: its name, Akka address and port, API, files and process.</summary>
public sealed record LocalNode(string Name, string Address, int AkkaPort, int ManagementPort, Uri Api, string ConfigPath, string LogPath)
{
    public Process? Process { get; set; }

    /// <summary>Its history file (<c>history.path</c>), when the cluster writes histories; a restart appends to it.</summary>
    public string? HistoryPath { get; init; }

    /// <summary>A cgroup v2 directory the process joins before it starts (partitions match its sockets); null = none.</summary>
    public string? ProcessGroup { get; set; }

    /// <summary>How many times its process was started (1 + restarts).</summary>
    public int Starts { get; set; }
}

/// <summary>The cluster cannot go on (a node died, the cluster did not come up); the message says why.</summary>
#pragma warning disable CA1032 // One message, always; the standard constructors would only allow a failure without a reason.
public sealed class LocalClusterException(string message) : Exception(message);
#pragma warning restore CA1032
