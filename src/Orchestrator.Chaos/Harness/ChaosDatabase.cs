using System.Diagnostics;

namespace Orchestrator.Chaos.Harness;

/// <summary>The db fault of a chaos run: a restart of the local PostgreSQL server under the run's journal.</summary>
public static class ChaosDatabase
{
    /// <summary><c>pg_ctlcluster VERSION main restart</c>; null when done, else why not.</summary>
    public static async Task<string?> RestartServerAsync(CancellationToken ct)
    {
        var version = Directory.Exists("/etc/postgresql")
            ? Directory.GetDirectories("/etc/postgresql").Select(Path.GetFileName).OrderBy(v => v, StringComparer.Ordinal).LastOrDefault()
            : null;
        if (version is null)
        {
            return "db fault: no local PostgreSQL cluster under /etc/postgresql to restart";
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_ctlcluster", [version, "main", "restart"]) { UseShellExecute = false, RedirectStandardError = true })!;
            var error = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0 ? null : $"db fault: pg_ctlcluster {version} main restart exited {process.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"db fault: pg_ctlcluster cannot run: {e.Message}";
        }
    }
}
