using System.Diagnostics;

namespace Orchestrator.Node.Tests.Api;

/// <summary>Runs the external judges the tests call (redocly, promtool) and finds the repository's files for them.</summary>
internal static class ExternalTool
{
    /// <summary>Runs <paramref name="file"/> to its end (at most 3 minutes): exit code, stdout then stderr.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string file, string arguments, string? input = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The directory that holds <c>Orchestrator.sln</c>.</summary>
    public static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "")
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(path)!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Orchestrator.sln above {path}");
    }
}
