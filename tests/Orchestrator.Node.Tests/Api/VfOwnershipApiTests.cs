using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Chaos.Harness;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// <c>DELETE /vfs/{id}</c> respects who uses the VF: a workload (unless forced) and a migration (always); <c>POST /vfs</c>
/// takes an optional index.
/// </summary>
[Collection(ApiNodeCollection.Name)]
public class VfOwnershipApiTests(ApiNode node)
{
    [Fact]
    public async Task A_vf_serving_a_workload_is_409_without_force_200_with_it_and_a_bad_force_is_400()
    {
        var created = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "workload": "vm-del"}"""),
            HttpStatusCode.Created);
        var id = created.Str("id");
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.Any(v => v.Id == id));

        await Json.BadInputAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}?force=yes"), "force", "yes");

        var refusal = await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}");
        var problem = await Json.ReadAsync(refusal, HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", refusal.Content.Headers.ContentType?.MediaType);
        Assert.Contains(id, problem.Str("detail"), StringComparison.Ordinal);
        Assert.Contains("vm-del", problem.Str("detail"), StringComparison.Ordinal);
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{id}", auth: false), HttpStatusCode.OK);

        var deleted = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}?force=true"), HttpStatusCode.OK);
        Assert.False(deleted.GetProperty("exists").GetBoolean());
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.All(v => v.Id != id));
    }

    [Fact]
    public async Task A_vf_is_created_at_the_index_asked_for_and_a_bad_index_is_400_naming_it()
    {
        await Json.BadInputAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "index": -1}"""),
            "index",
            "-1");
        await Json.BadInputAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "index": "7"}"""),
            "index",
            "\"7\"");

        var created = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "index": 7}"""),
            HttpStatusCode.Created);
        var id = created.Str("id");

        Assert.Equal("host-c/0000:5e:00.0/vf7", id);
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.Any(v => v.Id == id));
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_create_with_an_idempotency_key_sent_twice_at_once_and_again_later_makes_one_vf()
    {
        const string body = """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "workload": "vm-keyed"}""";
        await Json.BadInputAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", body, idempotencyKey: new string('k', 256)), "Idempotency-Key", new string('k', 256));

        // A client that sent the request twice at once (two nodes' worth of retries): both answers name one VF.
        var both = await Task.WhenAll(
            node.SendAsync(HttpMethod.Post, "/api/v1/vfs", body, idempotencyKey: "vf-key-1"),
            node.SendAsync(HttpMethod.Post, "/api/v1/vfs", body, idempotencyKey: "vf-key-1"));
        var ids = new List<string>();
        foreach (var response in both)
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            ids.Add((await Json.ReadAsync(response, response.StatusCode)).Str("id"));
        }

        var id = Assert.Single(ids.Distinct());
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.Any(v => v.Id == id));

        // A retry later (the answer was lost): the same VF, marked as a replay; the key with another body is 409.
        var again = await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", body, idempotencyKey: "vf-key-1");
        Assert.Equal(id, (await Json.ReadAsync(again, HttpStatusCode.OK)).Str("id"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        var reused = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "kernel", "profile": "eth-small", "workload": "vm-keyed"}""", idempotencyKey: "vf-key-1"),
            HttpStatusCode.Conflict);
        Assert.Contains(id, reused.Str("detail"), StringComparison.Ordinal);
        var host = await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.Any(v => v.Id == id));
        Assert.Single(host.Pfs.SelectMany(p => p.Vfs), v => v.Workload == "vm-keyed");

        await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}?force=true"), HttpStatusCode.OK);
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.All(v => v.Id != id));
        Assert.Equal(HttpStatusCode.Conflict, (await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", body, idempotencyKey: "vf-key-1")).StatusCode); // its VF is gone: a new key for a new one
    }

    [Fact]
    public async Task Deleting_the_source_vf_of_a_migration_in_flight_is_409_and_the_migration_still_ends()
    {
        var created = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-a/0000:3b:00.0", "kind": "vfio", "profile": "eth-small", "workload": "vm-held"}"""),
            HttpStatusCode.Created);
        var source = created.Str("id");
        await node.WaitForHostAsync("host-a", h => h.Pfs[0].Vfs.Any(v => v.Id == source));

        // The target's create hangs: the migration stays before TargetPrepared, where only its source's workload label
        // (and the placement authority's claim) stand between a DELETE and the workload's only VF.
        var faults = node.App.Services.GetRequiredService<ChaosFaults>();
        Assert.Null(faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Hang, Command = "CreateVf" }));
        string migration;
        try
        {
            var started = await Json.ReadAsync(
                await node.SendAsync(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-held", "target": "host-b"}""", idempotencyKey: "held-vm-held"),
                HttpStatusCode.Accepted);
            migration = started.Str("id");
            await node.WaitForMigrationAsync(migration, m => m.State == "Placed", TimeSpan.FromSeconds(30));

            var refusal = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{source}"), HttpStatusCode.Conflict);
            Assert.Contains(source, refusal.Str("detail"), StringComparison.Ordinal);
            Assert.Contains("vm-held", refusal.Str("detail"), StringComparison.Ordinal);
            await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{source}", auth: false), HttpStatusCode.OK);
        }
        finally
        {
            faults.Apply(new DeviceFault { Pf = "host-b/0000:3b:00.0", Kind = DeviceFault.Clear });
        }

        var end = await node.WaitForCompletedAsync(migration);
        var hosts = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts", auth: false), HttpStatusCode.OK);
        var copies = hosts.EnumerateArray()
            .SelectMany(h => h.GetProperty("pfs").EnumerateArray().SelectMany(pf => pf.GetProperty("vfs").EnumerateArray()))
            .Where(v => v.TryGetProperty("workload", out var w) && w.GetString() == "vm-held")
            .ToList();
        Assert.StartsWith("host-b/", Assert.Single(copies).Str("id"), StringComparison.Ordinal);
    }
}
