using System.Net;

namespace Orchestrator.Node.Tests.Api;

[Collection(ApiNodeCollection.Name)]
public class InventoryApiTests(ApiNode node)
{
    [Fact]
    public async Task Hosts_have_the_contract_shape_with_pfs_vfs_and_free_slots()
    {
        var hosts = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts", auth: false), HttpStatusCode.OK);
        Assert.Equal(["host-a", "host-b", "host-c"], hosts.EnumerateArray().Select(h => h.Str("id")));
        var a = hosts[0];
        Assert.Equal("node-1", a.Str("node"));
        Assert.False(a.GetProperty("cordoned").GetBoolean());
        var pf = a.GetProperty("pfs")[0];
        Assert.Equal("host-a/0000:3b:00.0", pf.Str("id"));
        Assert.Equal("mlx5", pf.Str("driver"));
        Assert.Equal("ConnectX-7", pf.Str("deviceType"));
        Assert.Equal("28.41.1000", pf.Str("firmware"));
        Assert.False(string.IsNullOrEmpty(pf.Str("migrationFlags")));
        Assert.Equal(16, pf.GetProperty("maxVfs").GetInt32());
        Assert.True(pf.GetProperty("freeVfSlots").GetInt32() > 0);
        Assert.True(pf.TryGetProperty("freeMigrationSlots", out _));
        var vf = pf.GetProperty("vfs").EnumerateArray().Single(v => v.Str("id") == "host-a/0000:3b:00.0/vf4");
        Assert.Equal("vfio", vf.Str("kind"));
        Assert.Equal("eth-small", vf.Str("profile"));
        Assert.Equal("vm-5", vf.Str("workload"));
        Assert.Equal("RUNNING", vf.Str("state"));

        var one = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-c", auth: false), HttpStatusCode.OK);
        Assert.Equal("28.39.1002", one.GetProperty("pfs")[0].Str("firmware"));
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-zz", auth: false), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_vf_is_created_and_destroyed_and_appears_in_the_inventory_between()
    {
        var created = await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "kernel", "profile": "eth-small"}""");
        var vf = await Json.ReadAsync(created, HttpStatusCode.Created);
        var id = vf.Str("id");
        Assert.StartsWith("host-c/0000:5e:00.0/vf", id, StringComparison.Ordinal);
        Assert.Equal("kernel", vf.Str("kind"));
        Assert.Equal($"/api/v1/vfs/{id}", created.Headers.Location?.OriginalString);

        // The inventory is replicated: the VF shows once its host publishes again.
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.Any(v => v.Id == id));
        var got = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{id}", auth: false), HttpStatusCode.OK);
        Assert.Equal("eth-small", got.Str("profile"));

        var deleted = await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}"), HttpStatusCode.OK);
        Assert.False(deleted.GetProperty("exists").GetBoolean());
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.All(v => v.Id != id));
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Delete, $"/api/v1/vfs/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cordon_and_uncordon_flip_the_flag()
    {
        var cordoned = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/cordon", """{"reason": "maintenance"}"""), HttpStatusCode.OK);
        Assert.True(cordoned.GetProperty("cordoned").GetBoolean());
        var uncordoned = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/uncordon"), HttpStatusCode.OK);
        Assert.False(uncordoned.GetProperty("cordoned").GetBoolean());
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-zz/cordon"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Placement_lists_the_fitting_target_and_a_reason_for_every_rejected_one()
    {
        var answer = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/placement", """{"workload": "vm-5"}"""), HttpStatusCode.OK);
        var candidate = Assert.Single(answer.GetProperty("candidates").EnumerateArray());
        Assert.Equal("host-b", candidate.Str("host"));
        Assert.Equal("host-b/0000:3b:00.0", candidate.Str("pf"));
        var rejected = answer.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Contains(rejected, r => r.Str("host") == "host-a" && r.Str("reason") == "SameHostAsSource");
        var firmware = Assert.Single(rejected, r => r.Str("host") == "host-c" && r.Str("reason") == "FirmwareIncompatible");
        Assert.Equal("host-c/0000:5e:00.0", firmware.Str("pf"));
        Assert.Contains("28.39.1002", firmware.Str("detail"), StringComparison.Ordinal);

        var targeted = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/placement", """{"workload": "vm-5", "target": "host-c"}"""), HttpStatusCode.OK);
        Assert.Empty(targeted.GetProperty("candidates").EnumerateArray());
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/placement", """{"workload": "vm-none"}"""), HttpStatusCode.NotFound);
    }
}
