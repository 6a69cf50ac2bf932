using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Chaos.Harness;
using Orchestrator.Client;
using Orchestrator.Node.Api;

namespace Orchestrator.Node.Tests.Api;

[Collection(ApiNodeCollection.Name)]
public class MigrationApiTests(ApiNode node)
{
    [Fact]
    public async Task A_migration_started_over_http_reaches_Completed_with_progress_and_checkpoints()
    {
        var response = await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-1", "target": "host-b"}""", idempotencyKey: "complete-vm-1");
        var started = await Json.ReadAsync(response, HttpStatusCode.Accepted);
        var id = started.Str("id");
        Assert.Equal(MigrationResource.Location(id), response.Headers.Location?.OriginalString);
        Assert.Equal("vm-1", started.Str("workload"));

        await node.WaitForEndAsync(id);
        var end = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/migrations/{id}", auth: false), HttpStatusCode.OK);
        Assert.Equal("Completed", end.Str("state"));
        Assert.Equal("host-a", end.Str("source"));
        Assert.Equal("host-b", end.Str("target"));
        Assert.True(end.GetProperty("epoch").GetInt64() >= 0);
        Assert.True(end.GetProperty("progress").GetProperty("bytesTransferred").GetInt64() > 0);
        Assert.True(end.GetProperty("progress").TryGetProperty("predictedDowntimeMs", out _));
        Assert.True(end.GetProperty("downtimeMs").GetDouble() >= 0);
        Assert.Equal(JsonValueKind.Null, end.GetProperty("reason").ValueKind);
        var checkpoints = end.GetProperty("checkpoints").EnumerateArray().Select(c => c.Str("state")).ToList();
        Assert.Equal("Requested", checkpoints[0]);
        Assert.Contains("Committed", checkpoints);
        Assert.Equal("Completed", checkpoints[^1]);
        Assert.NotEmpty(end.GetProperty("rounds").EnumerateArray());

        var list = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/migrations", auth: false), HttpStatusCode.OK);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), m => m.Str("id") == id);

        var hostB = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-b", auth: false), HttpStatusCode.OK);
        Assert.Contains(hostB.GetProperty("pfs")[0].GetProperty("vfs").EnumerateArray(), v => v.Str("workload") == "vm-1" && v.Str("state") == "RUNNING");

        // The target VF's own actor, read through its PF: the migration's command took it from RESUMING to RUNNING.
        var target = hostB.GetProperty("pfs")[0].GetProperty("vfs").EnumerateArray().Single(v => v.Str("workload") == "vm-1").Str("id");
        var plain = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{target}", auth: false), HttpStatusCode.OK);
        Assert.False(plain.TryGetProperty("history", out _));
        var vf = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{target}?history=true", auth: false), HttpStatusCode.OK);
        Assert.Equal("RUNNING", vf.Str("state"));
        var last = vf.GetProperty("history").EnumerateArray().Last();
        Assert.Equal("RUNNING", last.Str("to"));
        Assert.Equal(id, last.Str("migration"));
        Assert.True(last.GetProperty("epoch").GetInt64() >= 0);
        var bad = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{target}?history=maybe", auth: false), HttpStatusCode.BadRequest);
        Assert.Contains("maybe", bad.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_in_the_request_is_laid_over_the_defaults_and_echoed_and_another_policy_under_the_key_is_409()
    {
        const string body = """{"workload": "vm-6", "policy": {"downtimeLimitMs": 150, "nonConvergenceAction": "force", "bandwidthBytesPerSecond": 1000000000, "switchoverAckWaitMs": 0}}""";
        var started = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", body, idempotencyKey: "policy-vm-6"), HttpStatusCode.Accepted);
        var policy = started.GetProperty("policy");
        Assert.Equal(150, policy.GetProperty("downtimeLimitMs").GetDouble());
        Assert.Equal("force", policy.Str("nonConvergenceAction"));
        Assert.Equal(1_000_000_000, policy.GetProperty("bandwidthBytesPerSecond").GetInt64());
        Assert.Equal(30, policy.GetProperty("maxPreCopyRounds").GetInt32()); // the node's default
        Assert.Equal(30, policy.GetProperty("progressTimeoutSeconds").GetDouble());
        Assert.Equal(0, policy.GetProperty("switchoverAckWaitMs").GetDouble());

        // The same key with another policy is another request: the ack wait is part of it.
        var other = """{"workload": "vm-6", "policy": {"downtimeLimitMs": 150, "nonConvergenceAction": "force", "bandwidthBytesPerSecond": 1000000000}}""";
        var conflict = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", other, idempotencyKey: "policy-vm-6"), HttpStatusCode.Conflict);
        Assert.Equal("IdempotencyKeyReused", conflict.Str("code"));

        var end = await node.WaitForCompletedAsync(started.Str("id"));
        var read = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/migrations/{started.Str("id")}", auth: false), HttpStatusCode.OK);
        Assert.Equal("force", read.GetProperty("policy").Str("nonConvergenceAction")); // from the journal: what it ran under
    }

    [Fact]
    public async Task The_same_key_and_body_give_the_same_migration_and_another_body_is_409()
    {
        const string body = """{"workload": "vm-2", "target": "host-b"}""";
        var first = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", body, idempotencyKey: "idem-vm-2"), HttpStatusCode.Accepted);
        var again = await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{ "target": "host-b",  "workload": "vm-2" }""", idempotencyKey: "idem-vm-2");
        var second = await Json.ReadAsync(again, HttpStatusCode.Accepted);
        Assert.Equal(first.Str("id"), second.Str("id"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());

        var other = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-5", "target": "host-b"}""", idempotencyKey: "idem-vm-2"), HttpStatusCode.Conflict);
        Assert.Equal("IdempotencyKeyReused", other.Str("code"));
        Assert.Contains("idem-vm-2", other.Str("detail"), StringComparison.Ordinal);

        var end = await node.WaitForCompletedAsync(first.Str("id"));
        var afterEnd = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", body, idempotencyKey: "idem-vm-2"), HttpStatusCode.Accepted);
        Assert.Equal(first.Str("id"), afterEnd.Str("id"));
        Assert.Equal("Completed", afterEnd.Str("state"));
        Assert.Single((await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/migrations?workload=vm-2", auth: false), HttpStatusCode.OK))
            .GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Abort_is_accepted_before_commit_and_again_when_repeated_and_a_switchover_of_a_rolled_back_migration_is_409()
    {
        // The target's load hangs, so the migration is certainly before Committed when the abort arrives (a small
        // state otherwise completes in a few hundred milliseconds); the rollback cancels the hung command.
        var faults = node.App.Services.GetRequiredService<ChaosFaults>();
        Assert.Null(faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Hang, Command = "Load" }));
        ApiMigration end;
        string id;
        try
        {
            var started = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-3"}""", idempotencyKey: "abort-vm-3"), HttpStatusCode.Accepted);
            id = started.Str("id");
            var aborted = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/migrations/{id}"), HttpStatusCode.Accepted);
            Assert.Equal(id, aborted.Str("id"));

            // The same DELETE again (a retry whose first answer was lost): 202 with the migration rolling or rolled back.
            var repeated = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/migrations/{id}"), HttpStatusCode.Accepted);
            Assert.Contains(repeated.Str("state"), new[] { "RollingBack", "RolledBack" });
            end = await node.WaitForEndAsync(id);
        }
        finally
        {
            faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Clear });
        }

        Assert.Equal("RolledBack", end.State);
        Assert.Contains("aborted", end.Reason, StringComparison.OrdinalIgnoreCase);

        var late = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/migrations/{id}"), HttpStatusCode.Accepted);
        Assert.Equal(("RolledBack", "Aborted"), (late.Str("state"), late.Str("code")));
        var switchover = await node.SendAsync(HttpMethod.Post, $"/api/v1/migrations/{id}/switchover?force=true");
        var refused = await Json.ReadAsync(switchover, HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", switchover.Content.Headers.ContentType?.MediaType);
        Assert.Contains(id, refused.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Abort_after_commit_is_409()
    {
        var started = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-4", "target": "host-b"}""", idempotencyKey: "commit-vm-4"), HttpStatusCode.Accepted);
        var id = started.Str("id");
        await node.WaitForMigrationAsync(id, m => m.Checkpoints.Any(c => c.State == "Committed"), TimeSpan.FromSeconds(30));
        var refused = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/migrations/{id}"), HttpStatusCode.Conflict);
        Assert.False(string.IsNullOrEmpty(refused.Str("detail")));
        await node.WaitForCompletedAsync(id);
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/migrations/{id}"), HttpStatusCode.Conflict); // it did happen

        // A switchover of a migration that has switched over is done already: repeated, it answers the migration.
        var done = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, $"/api/v1/migrations/{id}/switchover?force=true"), HttpStatusCode.Accepted);
        Assert.Equal("Completed", done.Str("state"));
    }

    [Fact]
    public async Task Unknown_migration_is_404()
    {
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/migrations/m-does-not-exist", auth: false), HttpStatusCode.NotFound);
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, "/api/v1/migrations/m-does-not-exist"), HttpStatusCode.NotFound);
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/migrations/m-does-not-exist/switchover"), HttpStatusCode.NotFound);
    }
}
