using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Client;
using Orchestrator.Node.Api;
using Orchestrator.Node.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// One real node (the production <see cref="NodeHost"/> composition: Akka.Hosting, cluster of one, SQLite journal,
/// simulated devices at their modelled latencies) with the API on a TestServer. Shared by the API tests.
/// </summary>
public sealed class ApiNode : IAsyncLifetime
{
    public const string Token = "test-token-0123456789abcdef";

    /// <summary>host-a runs vm-1..vm-6 on one mlx5 PF; host-b is a compatible target; host-c has incompatible firmware.</summary>
    public static readonly string Topology = TestTopologies.Build(
        new("host-a", Slots: 8, MaxVfs: 16, Workloads: [.. Enumerable.Range(1, 6).Select(i => new TestWorkload($"vm-{i}"))]),
        new("host-b", Slots: 8, MaxVfs: 16),
        new("host-c", Firmware: TestTopologies.IncompatibleFirmware, Address: "0000:5e:00.0"));

    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("orchestrator-api-test-");

    public WebApplication App { get; private set; } = null!;

    public NodeRuntime Node { get; private set; } = null!;

    public ClusterFeed Feed { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string Directory => _dir.FullName;

    public static NodeOptions Options(string dir) => new()
    {
        Name = "node-1",
        Port = 0,
        Topology = Path.Combine(dir, "topology.yaml"),
        Persistence = "sqlite",
        ConnectionString = $"Data Source={Path.Combine(dir, "journal.db")}",
        ApiUrl = "http://127.0.0.1:0",
        Token = Token,
        LatencyScale = 1,
        AcceptableHeartbeatPause = TimeSpan.FromSeconds(2),
        DowningStableAfter = TimeSpan.FromSeconds(2),
        SseHeartbeat = TimeSpan.FromMilliseconds(200),
        StepTimeout = TimeSpan.FromSeconds(15),
        ReconcileInterval = TimeSpan.FromMinutes(10), // the reconcile tests say when it runs
        DefaultPolicy = TestCluster.PolicyNotAboutDowntime, // the tests about the downtime limit send their own policy
    };

    /// <summary>Changes the node's options before it starts (a test's own node).</summary>
    public Action<NodeOptions>? Configure { get; init; }

    /// <summary>Receives the node's logs from Information up (a test's own node); otherwise only warnings are kept.</summary>
    public ILoggerProvider? Logs { get; init; }

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(Directory, "topology.yaml"), Topology);
        var options = Options(Directory);
        Configure?.Invoke(options);
        App = NodeHost.Build(options, new NodeToken(Token, "test", null), b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.SetMinimumLevel(Logs is null ? LogLevel.Warning : LogLevel.Information);
            if (Logs is not null)
            {
                b.Logging.AddProvider(Logs);
            }
        });
        await App.StartAsync();
        Node = App.Services.GetRequiredService<NodeRuntime>();
        Feed = App.Services.GetRequiredService<ClusterFeed>();
        Client = App.GetTestClient();
        var runtime = await Node.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        var hosts = await runtime.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(20));
        Assert.Equal(3, hosts.Hosts.Count);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // The OS temp cleaner gets what a late writer still holds.
        }
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? json = null, bool auth = true, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (auth)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add(MigrationEndpoints.IdempotencyHeader, idempotencyKey);
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, bool auth = true, string? idempotencyKey = null) =>
        Client.SendAsync(Request(method, path, json, auth, idempotencyKey));

    /// <summary>Waits (on the replicated feed, no polling) until migration <paramref name="id"/> satisfies <paramref name="done"/>.</summary>
    public async Task<ApiMigration> WaitForMigrationAsync(string id, Func<ApiMigration, bool> done, TimeSpan timeout)
    {
        var channel = Feed.Subscribe();
        using var cts = new CancellationTokenSource(timeout);
        ApiMigration? last = null;
        try
        {
            while (true)
            {
                var e = await channel.Reader.ReadAsync(cts.Token);
                if (e.Resource is ApiMigration m && m.Id == id)
                {
                    last = m;
                    if (done(m))
                    {
                        return m;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"migration {id} did not get there within {timeout}; last seen {last?.State} step {last?.Step} error {last?.LastError}");
        }
        finally
        {
            Feed.Unsubscribe(channel);
        }
    }

    /// <summary>Waits (on the replicated feed) until host <paramref name="id"/> satisfies <paramref name="done"/>.</summary>
    public async Task<HostResource> WaitForHostAsync(string id, Func<HostResource, bool> done)
    {
        var channel = Feed.Subscribe();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var e = await channel.Reader.ReadAsync(cts.Token);
                if (e.Resource is HostResource h && h.Id == id && done(h))
                {
                    return h;
                }
            }
        }
        finally
        {
            Feed.Unsubscribe(channel);
        }
    }

    public Task<ApiMigration> WaitForEndAsync(string id) => WaitForMigrationAsync(id, m => m.IsTerminal, TimeSpan.FromSeconds(30));

    /// <summary>Waits until the migration ends and asserts it completed; otherwise the failure says how it ended and why.</summary>
    public async Task<ApiMigration> WaitForCompletedAsync(string id)
    {
        var end = await WaitForEndAsync(id);
        Assert.True(end.State == ApiMigration.Completed,
            $"migration {id} ended {end.State} (code {end.Code ?? "none"}, step {end.Step}): {end.Reason ?? "no reason"}; last error {end.LastError ?? "none"}; "
            + string.Join(" ", end.Checkpoints.Select(c => $"{c.State}@{c.At:HH:mm:ss.fff}")));
        return end;
    }
}

[CollectionDefinition(Name)]
public sealed class ApiNodeCollection : ICollectionFixture<ApiNode>
{
    public const string Name = "api-node";
}
