using Orchestrator.Chaos.Processes;
using Spectre.Console;

namespace Orchestrator.Node.Tests.Demo;

internal static class DemoTestSupport
{
    public static (IAnsiConsole Console, StringWriter Output) Capture()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(new SynchronizedWriter(output)),
        });
        console.Profile.Width = 250;
        return (console, output);
    }

    /// <summary>A base port with <paramref name="count"/> free ports after it on 127.0.0.1.</summary>
    public static int FreePortBase(int count) => LocalCluster.FreeApiPortBase(count);

    public static string LastDemoLine(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Last(l => l.StartsWith("demo:", StringComparison.Ordinal));

    private sealed class SynchronizedWriter(StringWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }
    }
}
