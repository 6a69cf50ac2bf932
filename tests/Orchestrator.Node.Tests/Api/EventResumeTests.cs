using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Client;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// <c>GET /events</c> ids are the journal's: a client that reconnects with <c>Last-Event-ID</c>, to a node that
/// restarted in between, gets each migration that changed while it was away once, as it is now, then every change;
/// nothing it had already is sent again.
/// </summary>
public sealed class EventResumeTests : IAsyncLifetime
{
    private static readonly ApiEventFilter Migrations = new(Types: ["migration"]);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("orchestrator-resume-test-");
    private WebApplication? _app;
    private OrchestratorApiClient _api = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "topology.yaml"), ApiNode.Topology);
        await StartNodeAsync();
    }

    public async Task DisposeAsync()
    {
        await StopNodeAsync();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // The OS temp cleaner gets what a late writer still holds.
        }
    }

    [Fact]
    public async Task A_resume_after_a_node_restart_loses_and_repeats_nothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Connected: the first migration from start to end.
        var seen = new List<ApiEvent>();
        var first = await _api.StartMigrationAsync("vm-1", "host-b", "resume-1", cts.Token);
        await foreach (var e in _api.EventsAsync(Migrations, null, cts.Token))
        {
            seen.Add(e);
            if (IsTerminal(e, first.Value.Id))
            {
                break;
            }
        }

        var lastId = seen.Last(e => e.Id is not null).Id!;
        Assert.All(seen.Where(e => e.Id is not null), e => Assert.True(long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture) > 0));

        // Away: a second migration runs to its end, then the node restarts on the same journal.
        var second = await _api.StartMigrationAsync("vm-2", "host-b", "resume-2", cts.Token);
        while (!(await _api.GetMigrationAsync(second.Value.Id, cts.Token)).Value.IsTerminal)
        {
            await Task.Delay(100, cts.Token);
        }

        await StopNodeAsync();
        await StartNodeAsync();

        // Back: the second migration once, as it ended; then the third live; the first never again.
        var resumed = new List<ApiEvent>();
        string? third = null;
        await foreach (var e in _api.EventsAsync(Migrations, lastId, cts.Token))
        {
            resumed.Add(e);
            if (third is null && IsTerminal(e, second.Value.Id))
            {
                third = (await _api.StartMigrationAsync("vm-3", "host-b", "resume-3", cts.Token)).Value.Id;
            }

            if (third is not null && IsTerminal(e, third))
            {
                break;
            }
        }

        Assert.DoesNotContain(resumed, e => e.Data.Contains(first.Value.Id, StringComparison.Ordinal));
        var ofSecond = resumed.Where(e => e.Data.Contains(second.Value.Id, StringComparison.Ordinal)).ToList();
        var only = Assert.Single(ofSecond);
        Assert.True(IsTerminal(only, second.Value.Id));
        Assert.NotNull(only.Id);
        var ids = resumed.Where(e => e.Id is not null).Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(ids, id => Assert.True(id > long.Parse(lastId, System.Globalization.CultureInfo.InvariantCulture), $"id {id} is not after the Last-Event-ID {lastId}"));
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Contains(resumed, e => e.Id is not null && e.Data.Contains(third!, StringComparison.Ordinal) && !IsTerminal(e, third!)); // live, step by step
    }

    [Fact]
    public async Task A_last_event_id_that_is_not_one_is_refused_by_name()
    {
        var e = await Assert.ThrowsAsync<ApiException>(async () =>
        {
            await foreach (var _ in _api.EventsAsync(null, "yesterday"))
            {
            }
        });
        Assert.Equal(ApiErrorKind.BadInput, e.Kind);
        Assert.Contains("Last-Event-ID: 'yesterday'", e.Message, StringComparison.Ordinal);
    }

    private static bool IsTerminal(ApiEvent e, string migration) => e.Migration() is { IsTerminal: true } m && m.Id == migration;

    private async Task StartNodeAsync()
    {
        _app = NodeHost.Build(ApiNode.Options(_dir.FullName), new NodeToken(ApiNode.Token, "test", null), b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await _app.StartAsync();
        var runtime = await _app.Services.GetRequiredService<NodeRuntime>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await runtime.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(20));
        _api = new OrchestratorApiClient(new Uri("http://localhost"), ApiNode.Token, _app.GetTestServer().CreateHandler());
    }

    private async Task StopNodeAsync()
    {
        if (_app is null)
        {
            return;
        }

        _api.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
