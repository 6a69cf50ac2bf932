using System.Net;
using System.Text.Json;

namespace Orchestrator.Node.Tests.Api;

/// <summary>What a migration's policy does over HTTP, each test on a node of its own.</summary>
public sealed class MigrationPolicyApiTests : IAsyncLifetime
{
    private readonly ApiNode _node = new();

    public Task InitializeAsync() => _node.InitializeAsync();

    public Task DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task A_downtime_limit_that_cannot_be_met_under_the_bandwidth_cap_rolls_back_NonConvergence_after_the_rounds_allowed()
    {
        // 1 MB/s for 16 MiB of state: after two rounds most of it is still to move, far over a 300 ms downtime.
        const string body = """{"workload": "vm-1", "target": "host-b", "policy": {"downtimeLimitMs": 300, "bandwidthBytesPerSecond": 1000000, "maxPreCopyRounds": 2, "nonConvergenceAction": "abort"}}""";
        var started = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/migrations", body), HttpStatusCode.Accepted);
        var end = await _node.WaitForEndAsync(started.Str("id"));
        Assert.Equal("RolledBack", end.State);
        Assert.Equal("NonConvergence", end.Code);
        Assert.True(end.Rounds.Count >= 2, $"{end.Rounds.Count} round(s)");
    }

    [Fact]
    public async Task Lifting_the_bandwidth_cap_of_a_migration_that_waits_lets_it_complete_and_an_ended_one_is_409()
    {
        // 200 kB/s for 16 MiB of state: pre-copy would need 84 s, past the completion timeout (60 s), and "wait"
        // keeps it pre-copying until then; only a policy change can let it complete within the 30 s the test waits.
        const string body = """{"workload": "vm-1", "target": "host-b", "policy": {"bandwidthBytesPerSecond": 200000, "maxPreCopyRounds": 10000, "nonConvergenceAction": "wait"}}""";
        var started = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Post, "/api/v1/migrations", body), HttpStatusCode.Accepted);
        var id = started.Str("id");
        await _node.WaitForMigrationAsync(id, m => m.Rounds.Count >= 1, TimeSpan.FromSeconds(30));

        var patch = $"/api/v1/migrations/{id}/policy";
        Assert.Equal(HttpStatusCode.Unauthorized, (await _node.SendAsync(HttpMethod.Patch, patch, """{"downtimeLimitMs": 5000}""", auth: false)).StatusCode);
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{"downtimeLimitMs": -5}"""), "downtimeLimitMs", "-5");
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{"maxPreCopyRounds": 3}"""), "maxPreCopyRounds", "3");
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{}"""), "body", "{}");
        await Json.BadInputAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{"bandwidthBytesPerSecond": "fast"}"""), "bandwidthBytesPerSecond", "fast");

        var changed = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{"downtimeLimitMs": 5000, "bandwidthBytesPerSecond": null}"""), HttpStatusCode.OK);
        Assert.Equal("PreCopying", changed.Str("state"));
        Assert.Equal(5000, changed.GetProperty("policy").GetProperty("downtimeLimitMs").GetDouble());
        Assert.Equal(JsonValueKind.Null, changed.GetProperty("policy").GetProperty("bandwidthBytesPerSecond").ValueKind);
        Assert.Equal("wait", changed.GetProperty("policy").Str("nonConvergenceAction"));

        var end = await _node.WaitForCompletedAsync(id);
        Assert.Equal(5000, end.Policy!.DowntimeLimitMs);
        Assert.Null(end.Policy.BandwidthBytesPerSecond);

        var late = await Json.ReadAsync(await _node.SendAsync(HttpMethod.Patch, patch, """{"bandwidthBytesPerSecond": 1000}"""), HttpStatusCode.Conflict);
        Assert.Contains("ended", late.Str("detail"), StringComparison.Ordinal);
        await Json.ReadAsync(await _node.SendAsync(HttpMethod.Patch, "/api/v1/migrations/m-nope/policy", """{"downtimeLimitMs": 1}"""), HttpStatusCode.NotFound);
    }
}
