using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.Node.Chaos;

/// <summary>
/// Network partitions on loopback with iptables: isolating a node drops every TCP segment to or from its Akka port
/// on <c>lo</c>. Every rule it adds is remembered and removed by <see cref="HealAll"/> (also on failure and exit).
/// Needs root and the iptables command; <see cref="TryCreate"/> says why not otherwise.
/// </summary>
internal sealed class Partitions
{
    private readonly List<string[]> _rules = [];
    private readonly object _gate = new();

    private Partitions()
    {
    }

    /// <summary>The rules in place now (for tests: none after <see cref="HealAll"/>).</summary>
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

    public static Partitions? TryCreate(out string? why)
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
        {
            why = "iptables needs root (run the harness as root, or leave partition out of --faults)";
            return null;
        }

        var (code, output) = Run(["-w", "-S", "INPUT"]);
        if (code != 0)
        {
            why = $"iptables is not usable here (exit {code}: {output.Trim()}); install it with `apt-get install -y iptables`";
            return null;
        }

        why = null;
        return new Partitions();
    }

    /// <summary>Drops traffic to and from <paramref name="port"/> on loopback; returns null, or what went wrong.</summary>
    public string? Isolate(int port)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        foreach (var rule in new[] { new[] { "INPUT", "-i", "lo", "-p", "tcp", "--dport", p, "-j", "DROP" }, ["INPUT", "-i", "lo", "-p", "tcp", "--sport", p, "-j", "DROP"] })
        {
            var (code, output) = Run(["-w", "-I", .. rule]);
            if (code != 0)
            {
                return $"iptables -I {string.Join(' ', rule)} failed (exit {code}): {output.Trim()}";
            }

            lock (_gate)
            {
                _rules.Add(rule);
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
            Run(["-w", "-D", .. rule]);
        }
    }

    private static (int Code, string Output) Run(string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("iptables", args) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }
}
