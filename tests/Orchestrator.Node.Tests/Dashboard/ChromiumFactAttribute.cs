using System.Diagnostics;

namespace Orchestrator.Node.Tests.Dashboard;

/// <summary>
/// A fact that needs Debian's Chromium (<c>/usr/bin/chromium</c>; <c>.ci/install</c> installs it). When it is missing,
/// one <c>apt-get install -y chromium</c> is tried (as root); only if that fails too is the test skipped, saying why.
/// Playwright never downloads a browser here.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly Lazy<string?> Missing = new(FindOrInstall);

    public ChromiumFactAttribute()
    {
        if (Missing.Value is { } why)
        {
            Skip = why;
        }
    }

    private static string? FindOrInstall()
    {
        if (File.Exists(ExecutablePath))
        {
            return null;
        }

        var log = "";
        foreach (var args in new[] { "install -y -qq chromium", "install -y -qq -f chromium" })
        {
            try
            {
                using var apt = Process.Start(new ProcessStartInfo("apt-get", args)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" },
                })!;
                var stderr = apt.StandardError.ReadToEndAsync();
                _ = apt.StandardOutput.ReadToEnd();
                apt.WaitForExit();
                log = stderr.Result.Trim();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                log = e.Message;
            }

            if (File.Exists(ExecutablePath))
            {
                return null;
            }
        }

        return $"Debian chromium is not installed at {ExecutablePath} and 'apt-get install -y chromium' did not install it ({log}); run .ci/install";
    }
}
