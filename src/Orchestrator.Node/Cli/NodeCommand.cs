using System.CommandLine;
using Microsoft.Extensions.Options;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Cli;

/// <summary>
/// <c>orchestrator node</c>: joins (or, without contact points, forms) a cluster with a config file and a topology, and serves
/// the HTTP API. Configuration errors name the key and the value and stop the node with exit code 2 before it joins.
/// </summary>
internal static class NodeCommand
{
    /// <summary>Exit code of a configuration error.</summary>
    public const int ConfigError = 2;

    public static Command Create() =>
        Create("node", "Run a cluster node: its simulated hosts, migration coordinators and the HTTP API", harness: null);

    /// <summary>
    /// A node verb; <paramref name="harness"/> (the chaos harness's broken build) adjusts the options after the config
    /// file and the flags, where no config key reaches.
    /// </summary>
    internal static Command Create(string verb, string description, Action<NodeOptions>? harness)
    {
        var config = new Option<string?>("--config") { Description = "Node config file, HOCON or JSON (keys: node.*, cluster.*, persistence.*, api.*, runtime.*, akka.*)" };
        var topology = new Option<string?>("--topology") { Description = "Topology file (YAML) of the simulated hosts (node.topology)" };
        var name = new Option<string?>("--name") { Description = "Node name (node.name)" };
        var port = new Option<int?>("--port") { Description = "Akka remoting port, 0 = any (node.port)" };
        var hostname = new Option<string?>("--hostname") { Description = "Akka remoting address (node.hostname)" };
        var apiUrl = new Option<string?>("--api-url") { Description = "HTTP API address, e.g. http://127.0.0.1:7401 (api.url)" };
        var contactPoints = new Option<string[]>("--contact-point") { Description = "A node's management endpoint host:port, this one's included; repeat for every node (cluster.contact-points)", AllowMultipleArgumentsPerToken = true };
        var managementPort = new Option<int?>("--management-port") { Description = "Port of this node's management endpoint (cluster.management-port)" };
        var db = new Option<string?>("--db") { Description = "Journal: sqlite, postgres or memory (persistence.provider)" };
        var connection = new Option<string?>("--connection") { Description = "Journal connection string (persistence.connection-string)" };
        var latency = new Option<double?>("--latency-scale") { Description = "Multiplies simulated device latencies (node.latency-scale)" };
        var command = new Command(verb, description)
        {
            config, topology, name, port, hostname, apiUrl, contactPoints, managementPort, db, connection, latency,
        };
        command.SetAction((parse, ct) =>
        {
            var options = new NodeOptions();
            var errors = new List<string>();
            if (parse.GetValue(config) is { } path)
            {
                errors.AddRange(NodeConfigFile.Load(path, options));
            }

            options.Topology = parse.GetValue(topology) ?? options.Topology;
            options.Name = parse.GetValue(name) ?? options.Name;
            options.Port = parse.GetValue(port) ?? options.Port;
            options.Hostname = parse.GetValue(hostname) ?? options.Hostname;
            options.ApiUrl = parse.GetValue(apiUrl) ?? options.ApiUrl;
            options.Persistence = parse.GetValue(db) ?? options.Persistence;
            options.ConnectionString = parse.GetValue(connection) ?? options.ConnectionString;
            options.LatencyScale = parse.GetValue(latency) ?? options.LatencyScale;
            options.ManagementPort = parse.GetValue(managementPort) ?? options.ManagementPort;
            if (parse.GetValue(contactPoints) is { Length: > 0 } contactPointList)
            {
                options.ContactPoints = [.. contactPointList];
            }

            errors.AddRange(NodeSecrets.Apply(options, Environment.GetEnvironmentVariable));
            if (NodeSecrets.CommandLineWarning(parse.GetValue(connection)) is { } warning)
            {
                Console.Error.WriteLine($"orchestrator node: warning: {warning}");
            }

            harness?.Invoke(options);
            return RunAsync(options, errors, Console.Out, Console.Error, ct);
        });
        return command;
    }

    /// <summary>Validates, then runs the node until <paramref name="ct"/> is cancelled (Ctrl-C, SIGTERM).</summary>
    internal static async Task<int> RunAsync(NodeOptions options, IReadOnlyList<string> loadErrors, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var errors = loadErrors.Concat(NodeOptionsValidator.Errors(options)).Distinct().ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                await error.WriteLineAsync($"orchestrator node: {e}");
            }

            await error.WriteLineAsync($"orchestrator node: {errors.Count} configuration error(s); the node did not start");
            return ConfigError;
        }

        var token = NodeToken.Resolve(options, Environment.GetEnvironmentVariable);
        await output.WriteLineAsync(token.WrittenTo is { } file
            ? $"orchestrator node: API token generated and written to {file}"
            : $"orchestrator node: API token from {token.Source}");
        await output.WriteLineAsync($"orchestrator node: {options.Name} serving the API on {options.ApiUrl}/api/v1");
        try
        {
            await using var app = NodeHost.Build(options, token);
            await app.RunAsync(ct);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
            {
                await error.WriteLineAsync($"orchestrator node: {failure}");
            }

            return ConfigError;
        }
    }
}
