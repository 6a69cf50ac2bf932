using System.CommandLine;
using Orchestrator.Client;

namespace Orchestrator.Node.Cli.Client;

/// <summary>
/// The options every client verb shares: <c>--api</c> (or <c>ORCHESTRATOR_API</c>, default
/// <see cref="OrchestratorApiClient.DefaultApi"/>), <c>--token</c> (or <c>ORCHESTRATOR_TOKEN</c>, or the demo's
/// <c>.orchestrator/demo-token</c> in the working directory), <c>--ca</c> (or <c>ORCHESTRATOR_CA</c>: the cluster's CA,
/// PEM, for an https API) and <c>--json</c>.
/// </summary>
internal sealed class ClientOptions
{
    /// <summary>Where <c>orchestrator demo</c> writes its bearer token, relative to the working directory.</summary>
    public const string DemoTokenFile = ".orchestrator/demo-token";

    public Option<string?> Api { get; } = new("--api") { Description = "API address (default: $ORCHESTRATOR_API or " + OrchestratorApiClient.DefaultApi + ")" };

    public Option<string?> Token { get; } = new("--token") { Description = "Bearer token (default: $ORCHESTRATOR_TOKEN or " + DemoTokenFile + ")" };

    public Option<string?> Ca { get; } = new("--ca") { Description = "The cluster's CA certificate (PEM) an https API's certificate must chain to (default: $ORCHESTRATOR_CA)" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON (for scripts)" };

    public void AddTo(Command command)
    {
        command.Add(Api);
        command.Add(Token);
        command.Add(Ca);
        command.Add(Json);
    }

    /// <summary>Runs a verb with a client, mapping every failure to its exit code and a message on stderr.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Action(CliIo io, string verb, Func<ClientContext, ParseResult, CancellationToken, Task<int>> run) =>
        async (parse, ct) =>
        {
            var apiText = parse.GetValue(Api) ?? NonEmpty(io.Environment("ORCHESTRATOR_API")) ?? OrchestratorApiClient.DefaultApi;
            if (!Uri.TryCreate(apiText, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https"))
            {
                io.Error.WriteLine($"orchestrator {verb}: --api: bad value '{apiText}'; expected http://host:port");
                return ExitCodes.BadInput;
            }

            var token = parse.GetValue(Token) ?? NonEmpty(io.Environment("ORCHESTRATOR_TOKEN")) ?? ReadDemoToken(io.WorkingDirectory);
            var ca = parse.GetValue(Ca) ?? NonEmpty(io.Environment("ORCHESTRATOR_CA"));
            OrchestratorApiClient client;
            try
            {
                client = new OrchestratorApiClient(api, token, caFile: ca is null ? null : Path.GetFullPath(ca, io.WorkingDirectory));
            }
            catch (ArgumentException e)
            {
                io.Error.WriteLine($"orchestrator {verb}: --ca: {e.Message}");
                return ExitCodes.BadInput;
            }

            using var owned = client;
            var context = new ClientContext(client, io, parse.GetValue(Json));
            try
            {
                return await run(context, parse, ct);
            }
            catch (ApiException e)
            {
                io.Error.WriteLine($"orchestrator {verb}: {e.Message}");
                return ExitCodes.For(e.Kind);
            }
            catch (BadInputException e)
            {
                io.Error.WriteLine($"orchestrator {verb}: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                io.Error.WriteLine($"orchestrator {verb}: cancelled");
                return ExitCodes.Failed;
            }
        };

    internal static string? ReadDemoToken(string workingDirectory)
    {
        var path = Path.Combine(workingDirectory, DemoTokenFile);
        return File.Exists(path) ? NonEmpty(File.ReadAllText(path).Trim()) : null;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

/// <summary>A verb's client, output and mode.</summary>
internal sealed record ClientContext(OrchestratorApiClient Api, CliIo Io, bool Json)
{
    /// <summary>Prints the server's JSON as it came, one document per line.</summary>
    public void PrintJson(string json) => Io.Out.WriteLine(json.Trim());
}

/// <summary>A command-line value the verb refuses before calling the API (exit 2); the message names the value.</summary>
internal sealed class BadInputException(string message) : Exception(message);
