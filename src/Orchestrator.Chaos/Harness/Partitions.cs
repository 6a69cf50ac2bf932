using System.Diagnostics;
using System.Globalization;
using Orchestrator.Chaos.Processes;

namespace Orchestrator.Chaos.Harness;

/// <summary>
/// Network partitions between node processes on one machine. Each node binds Akka remoting to its own loopback
/// address (127.0.0.11, .12, …; Linux routes all of 127/8 to <c>lo</c>) and runs in its own cgroup v2 directory
/// (<c>orchestrator-chaos-PID/node-N</c>, joined before the node starts). Cutting nodes A and B adds two iptables
/// OUTPUT rules: packets sent by A's sockets to B's address are dropped, and those of B to A. The sender is matched by
/// its cgroup, not by its source address: an outbound TCP connection to 127.0.0.12 leaves from 127.0.0.1 (the
/// <c>src</c> of the local 127.0.0.0/8 route) whichever node opens it. The API (127.0.0.1) and the database stay
/// reachable: it is a partition between nodes, not from the client.
/// Every rule carries the comment <c>orchestrator-chaos:PID</c>; <see cref="HealAll"/> removes the rules it added,
/// <see cref="Dispose"/> also the cgroups, and <see cref="TryCreate"/> first removes rules and cgroups left by a run
/// whose process is gone. Needs root, the iptables command and a writable cgroup v2 mount; <see cref="TryCreate"/>
/// says which is missing otherwise.
/// </summary>
public sealed class Partitions : IDisposable
{
    public const string Tag = "orchestrator-chaos";

    private readonly List<string[]> _rules = [];
    private readonly List<string> _groups = [];
    private readonly object _gate = new();
    private readonly string _mount;
    private readonly string _root;

    private Partitions(string mount)
    {
        _mount = mount;
        _root = string.Create(CultureInfo.InvariantCulture, $"{Tag}-{Environment.ProcessId}");
    }

    /// <summary>The rules in place now (none after <see cref="HealAll"/>).</summary>
    public int ActiveRules
    {
        get
        {
            lock (_gate)
            {
                return _rules.Count;
            }
        }
    }

    /// <summary>The comment every rule of this process carries.</summary>
    public static string Comment => string.Create(CultureInfo.InvariantCulture, $"{Tag}:{Environment.ProcessId}");

    /// <summary>Loopback address of node <paramref name="index"/> (from 0): 127.0.0.11, 127.0.0.12, ….</summary>
    public static string NodeAddress(int index) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.{11 + index}");

    /// <summary>A ready instance, or null with <paramref name="why"/> saying what is missing and how to get it.</summary>
    public static Partitions? TryCreate(out string? why)
    {
        if (!OperatingSystem.IsLinux())
        {
            why = "partitions need Linux (iptables and cgroup v2)";
            return null;
        }

        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            why = $"partitions need root for iptables and cgroups (running as '{Environment.UserName}'); run the harness as root or leave partition out of --faults";
            return null;
        }

        var (code, output) = Iptables(["-w", "-S", "OUTPUT"]);
        if (code != 0)
        {
            why = $"iptables is not usable here (exit {code}: {output.Trim()}); install it with `apt-get install -y iptables`";
            return null;
        }

        var mount = CgroupMount();
        if (mount is null)
        {
            why = "no cgroup v2 mount in /proc/mounts (partitions match each node's sockets by cgroup)";
            return null;
        }

        var partitions = new Partitions(mount);
        partitions.RemoveStale();
        try
        {
            Directory.CreateDirectory(Path.Combine(mount, partitions._root));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"cannot create a cgroup under {mount}: {e.Message}";
            return null;
        }

        // Probe that this kernel's iptables matches cgroup v2 paths before relying on it.
        var probe = partitions.Rule(partitions._root, "127.0.0.254");
        var (added, problem) = Iptables(["-w", "-I", .. probe]);
        if (added != 0)
        {
            partitions.Dispose();
            why = $"iptables cannot match by cgroup here (exit {added}: {problem.Trim()})";
            return null;
        }

        Iptables(["-w", "-D", .. probe]);
        why = null;
        return partitions;
    }

    /// <summary>Creates node <paramref name="node"/>'s cgroup and sets it as the group its process joins on (re)start.</summary>
    public void Enroll(LocalNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var relative = $"{_root}/{node.Name}";
        Directory.CreateDirectory(Path.Combine(_mount, relative));
        lock (_gate)
        {
            _groups.Add(relative);
        }

        node.ProcessGroup = Path.Combine(_mount, relative);
    }

    /// <summary>Cuts every node of <paramref name="side"/> off from every node of <paramref name="other"/>, both ways; null, or what went wrong.</summary>
    public string? Cut(IReadOnlyList<LocalNode> side, IReadOnlyList<LocalNode> other)
    {
        ArgumentNullException.ThrowIfNull(side);
        ArgumentNullException.ThrowIfNull(other);
        foreach (var a in side)
        {
            foreach (var b in other)
            {
                foreach (var rule in new[] { Rule($"{_root}/{a.Name}", b.Address), Rule($"{_root}/{b.Name}", a.Address) })
                {
                    var (code, output) = Iptables(["-w", "-I", .. rule]);
                    if (code != 0)
                    {
                        return $"iptables -I {string.Join(' ', rule)} failed (exit {code}): {output.Trim()}";
                    }

                    lock (_gate)
                    {
                        _rules.Add(rule);
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Removes every rule this instance added.</summary>
    public void HealAll()
    {
        List<string[]> rules;
        lock (_gate)
        {
            rules = [.. _rules];
            _rules.Clear();
        }

        foreach (var rule in rules)
        {
            Iptables(["-w", "-D", .. rule]);
        }
    }

    /// <summary>Removes the rules and (once their processes ended) the cgroups.</summary>
    public void Dispose()
    {
        HealAll();
        List<string> groups;
        lock (_gate)
        {
            groups = [.. _groups];
            _groups.Clear();
        }

        foreach (var group in groups)
        {
            TryRemoveDirectory(Path.Combine(_mount, group));
        }

        TryRemoveDirectory(Path.Combine(_mount, _root));
    }

    /// <summary>Rules and cgroups of earlier runs whose process no longer exists (a run killed with -9).</summary>
    private void RemoveStale()
    {
        var (_, listing) = Iptables(["-w", "-S", "OUTPUT"]);
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var comment = Array.IndexOf(parts, "--comment");
            if (parts.Length < 2 || parts[0] != "-A" || comment < 0 || comment + 1 >= parts.Length || !IsStale(parts[comment + 1].Trim('"')))
            {
                continue;
            }

            Iptables(["-w", "-D", .. parts[1..]]);
        }

        foreach (var dir in Directory.Exists(_mount) ? Directory.GetDirectories(_mount, Tag + "-*") : [])
        {
            if (IsStale(Tag + ":" + Path.GetFileName(dir)[(Tag.Length + 1)..]))
            {
                foreach (var child in Directory.GetDirectories(dir))
                {
                    TryRemoveDirectory(child);
                }

                TryRemoveDirectory(dir);
            }
        }
    }

    private static bool IsStale(string comment) =>
        comment.StartsWith(Tag + ":", StringComparison.Ordinal)
        && int.TryParse(comment[(Tag.Length + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
        && pid != Environment.ProcessId
        && !Directory.Exists($"/proc/{pid}");

    private string[] Rule(string group, string destination) =>
        ["OUTPUT", "-m", "cgroup", "--path", group, "-d", destination, "-m", "comment", "--comment", Comment, "-j", "DROP"];

    private static string? CgroupMount()
    {
        try
        {
            return File.ReadAllLines("/proc/mounts")
                .Select(l => l.Split(' '))
                .Where(f => f.Length > 2 && f[2] == "cgroup2")
                .Select(f => f[1])
                .OrderBy(m => m.Length)
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void TryRemoveDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path); // rmdir: a cgroup directory goes only when no process is in it.
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still in use; a later run removes it as stale.
        }
    }

    private static (int Code, string Output) Iptables(string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("iptables", args) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit(10_000);
            return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }
}
