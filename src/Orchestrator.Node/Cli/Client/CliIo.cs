using Spectre.Console;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// Where a verb writes: <see cref="Console"/> for humans (tables, progress), <see cref="Out"/> for <c>--json</c> (never
/// wrapped), <see cref="Error"/> for failures; plus the clock and the environment it reads. Tests capture all of it.
/// </summary>
internal sealed record CliIo(IAnsiConsole Console, TextWriter Out, TextWriter Error, TimeProvider Time, Func<string, string?> Environment, string WorkingDirectory)
{
    public static CliIo Standard => new(WideWhenRedirected(AnsiConsole.Console), System.Console.Out, System.Console.Error, TimeProvider.System, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());

    private static IAnsiConsole WideWhenRedirected(IAnsiConsole console)
    {
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = Math.Max(console.Profile.Width, 160); // tables in logs are not cut at 80 columns
        }

        return console;
    }
}
