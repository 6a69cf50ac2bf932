using System.Diagnostics;
using Orchestrator.Client;
using Orchestrator.Node.Tests.Demo;
using Xunit.Abstractions;

namespace Orchestrator.Node.Tests.Cli;

/// <summary>
/// deploy/local-cluster.sh: `up 3` with PostgreSQL (installed from Debian packages when missing), every node's API
/// answers with the whole inventory, `down` leaves no process. Needs root for apt-get/su postgres, as CI runs.
/// </summary>
public sealed class LocalClusterScriptTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("orch-local-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task Up_three_nodes_on_postgres_answer_then_down_leaves_no_process()
    {
        var script = Path.Combine(FindRepo(), "deploy", "local-cluster.sh");
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("ORCHESTRATOR_PG") is null)
        {
            log.WriteLine("SKIPPED: local-cluster.sh needs root to install/start PostgreSQL (or ORCHESTRATOR_PG)");
            return;
        }

        // Every port the script opens, management (contact points) too: a local cluster of the developer's own on the
        // script's default 8558 made a node of this one exit at start.
        var ports = DemoTestSupport.FreePortBase(9);
        var dll = typeof(Orchestrator.Node.Hosting.NodeHost).Assembly.Location; // the orchestrator executable
        var env = new Dictionary<string, string>
        {
            ["ORCHESTRATOR_STATE"] = _state,
            ["API_PORT_BASE"] = $"{ports}",
            ["AKKA_PORT_BASE"] = $"{ports + 3}",
            ["MANAGEMENT_PORT_BASE"] = $"{ports + 6}",
            ["ORCHESTRATOR_BIN"] = $"dotnet {dll}",
        };
        try
        {
            var (up, upText) = await RunAsync(script, "up 3", env);
            log.WriteLine(upText);
            Assert.True(up == 0, upText);
            var token = (await File.ReadAllTextAsync(Path.Combine(_state, "token"))).Trim();
            for (var i = 0; i < 3; i++)
            {
                using var client = new OrchestratorApiClient(new Uri($"http://127.0.0.1:{ports + i}"), token);
                Assert.True(await client.IsHealthyAsync(), $"node-{i + 1}");
                // Every node is ready (the script waited for /readyz), and each publishes its own hosts; the others'
                // reach this node's copy of the directory by gossip: wait for that, pausing between reads (a tight loop
                // of majority reads starved the three nodes on 2 cores).
                var deadline = Stopwatch.StartNew();
                IReadOnlyList<ApiHost> hosts = [];
                while (hosts.Count < 3 && deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                    try
                    {
                        hosts = (await client.GetHostsAsync()).Value;
                    }
                    catch (ApiException)
                    {
                        // 503 until the member is Up
                    }

                    if (hosts.Count < 3)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(250));
                    }
                }

                Assert.Equal(3, hosts.Count);
            }

            var (status, statusText) = await RunAsync(script, "status", env);
            Assert.Equal(0, status);
            Assert.Equal(3, statusText.Split('\n').Count(l => l.EndsWith(" up", StringComparison.Ordinal)));
        }
        finally
        {
            var pids = File.Exists(Path.Combine(_state, "pids"))
                ? File.ReadAllLines(Path.Combine(_state, "pids")).Select(l => int.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList()
                : [];
            var (down, downText) = await RunAsync(script, "down", env);
            log.WriteLine(downText);
            Assert.Equal(0, down);
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"pid {pid} still runs"));
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string script, string args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo("bash", $"{script} {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "local-cluster.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("deploy/local-cluster.sh not found above " + AppContext.BaseDirectory);
    }
}
