using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Orchestrator.Chaos.Processes;
using Orchestrator.Client;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Node.Tests.Hosting;

/// <summary>
/// TLS on real processes: three nodes with certificates of the cluster's CA run a migration with remoting, the API
/// (https) and the state stream over TLS; a fourth node whose certificate comes from another CA finds the cluster (its
/// contact points answer) but cannot join it.
/// </summary>
public sealed class TlsClusterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-tls-cluster-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Nodes_of_the_CA_migrate_over_TLS_and_a_node_of_another_CA_cannot_join()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var streamPorts = LoopbackPorts.Free(1)[0]; // the members' state streams listen from here (node.state-stream-ports)
        using var stranger = LocalAuthority.Create(Path.Combine(_dir, "stranger"), "another CA");
        var (strangerCertificate, strangerKey) = stranger.Issue("node-4", ["127.0.0.1"]);
        var cluster = LocalCluster.Prepare(new LocalClusterOptions
        {
            Nodes = 4,
            ApiPortBase = LocalCluster.FreeApiPortBase(4),
            StateDirectory = _dir,
            Quick = true,
            DirectoryName = "tls",
            Tls = true,
            // node-4 holds a certificate of another CA, and trusts only that CA.
            ExtraConfig = (name, _) => name == "node-4"
                ? $"tls {{ certificate = \"{LocalCluster.Hocon(strangerCertificate)}\", key = \"{LocalCluster.Hocon(strangerKey)}\", ca = \"{LocalCluster.Hocon(stranger.CaPath)}\" }}"
                : $"node.state-stream-ports = \"{streamPorts}-{streamPorts + 49}\"",
        }, DemoTopology.Find()!, 3, token);
        var (members, intruder) = (cluster.Nodes.Take(3).ToList(), cluster.Nodes[3]);
        try
        {
            foreach (var node in cluster.Nodes)
            {
                cluster.StartNode(node);
            }

            foreach (var node in members)
            {
                var (ready, why) = await cluster.WaitNodeReadyAsync(node, TimeSpan.FromSeconds(90), TimeProvider.System, CancellationToken.None);
                Assert.True(ready, $"{node.Name}: {why}");
            }

            // The API answers over https to a client that trusts the CA; a client that does not is refused.
            Assert.All(cluster.Nodes, n => Assert.Equal("https", n.Api.Scheme));
            using var api = cluster.Client(members[2], token);
            using (var untrusting = new OrchestratorApiClient(members[2].Api, token, retries: 0))
            {
                var refused = await Assert.ThrowsAsync<ApiException>(() => untrusting.GetHostsAsync());
                Assert.Contains("--ca / ORCHESTRATOR_CA", refused.Message, StringComparison.Ordinal);
            }

            var id = (await api.StartMigrationAsync("vm-crypto", "host-b", Tracing.MigrationTraceTests.SwitchOverWhateverTheDowntime, "tls-vm-crypto")).Value.Id;
            var end = await Tracing.MigrationTraceTests.WaitForEndAsync(api, id);
            Assert.True(end.State == ApiMigration.Completed, $"{id} ended {end.State}: {end.Reason}");
            // The target's log says how the stream came in (the console logger writes it a moment later).
            var accepted = $@"{id}.*: \S+ state stream in on port (?<port>\d+), \d+ bytes over Tls1[23], peer CN=node-1";
            var logged = Stopwatch.StartNew();
            List<string> streamed;
            while (!(streamed = LinesWith(members[1].LogPath, "state stream")).Any(l => Regex.IsMatch(l, accepted)))
            {
                Assert.True(logged.Elapsed < TimeSpan.FromSeconds(10), string.Join("\n", cluster.Nodes.SelectMany(n => LinesWith(n.LogPath, "state stream").Select(l => n.Name + ": " + l))));
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }

            var port = int.Parse(streamed.Select(l => Regex.Match(l, accepted)).First(m => m.Success).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(port, streamPorts, streamPorts + 49);

            // node-4 found the contact points (they answer in clear text, with member addresses only) but every
            // remoting handshake with the members failed: after 10 s (two join attempts) it is in no cluster, and they are three.
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                Assert.Empty(await LocalCluster.MembersAsync(intruder));
                Assert.Equal(3, (await LocalCluster.MembersAsync(members[0])).Count);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            Assert.NotEmpty(cluster.Nodes.Take(3).SelectMany(n => LinesWith(n.LogPath, "does not chain to tls.ca")));
        }
        finally
        {
            cluster.Stop();
        }
    }

    private static List<string> LinesWith(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                lines.Add(line);
            }
        }

        return lines;
    }
}
