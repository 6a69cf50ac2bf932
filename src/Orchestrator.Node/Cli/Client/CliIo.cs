using Spectre.Console;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// Where a verb writes: <see cref="Console"/> for humans (tables, progress), <see cref="Out"/> for <c>--json</c> (never
/// wrapped), <see cref="Error"/> for failures; plus the clock and the environment it reads. Tests capture all of it.
/// </summary>
internal sealed record CliIo(IAnsiConsole Console, TextWriter Out, TextWriter Error, TimeProvider Time, Func<string, string?> Environment, string WorkingDirectory)
{
    public static CliIo Standard => new(AnsiConsole.Console, System.Console.Out, System.Console.Error, TimeProvider.System, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());
}
