using System.Net;
using System.Net.Http.Headers;

namespace Orchestrator.Node.Tests.Api;

[Collection(ApiNodeCollection.Name)]
public class AuthAndValidationTests(ApiNode node)
{
    public static TheoryData<string, string, string?> Mutating => new()
    {
        { "POST", "/api/v1/migrations", """{"workload": "vm-5"}""" },
        { "DELETE", "/api/v1/migrations/m-whatever", null },
        { "POST", "/api/v1/migrations/m-whatever/switchover", null },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small"}""" },
        { "DELETE", "/api/v1/vfs/host-a/0000:3b:00.0/vf4", null },
        { "POST", "/api/v1/hosts/host-c/cordon", null },
        { "POST", "/api/v1/hosts/host-c/uncordon", null },
        { "POST", "/api/v1/placement", """{"workload": "vm-5"}""" },
    };

    [Theory]
    [MemberData(nameof(Mutating))]
    public async Task Mutating_endpoints_answer_401_without_or_with_a_wrong_token(string method, string path, string? body)
    {
        var missing = await node.SendAsync(new HttpMethod(method), path, body, auth: false);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);

        var wrong = node.Request(new HttpMethod(method), path, body, auth: false);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiNode.Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Client.SendAsync(wrong)).StatusCode);

        // Nothing happened: the VF of vm-5 is still there and no migration of vm-5 exists.
        var vf = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/vfs/host-a/0000:3b:00.0/vf4", auth: false), HttpStatusCode.OK);
        Assert.Equal("vm-5", vf.Str("workload"));
    }

    public static TheoryData<string, string, string?, string, string> BadInputs => new()
    {
        { "GET", "/api/v1/hosts/Host_A", null, "id", "Host_A" },
        { "POST", "/api/v1/hosts/BAD!/cordon", null, "id", "BAD!" },
        { "GET", "/api/v1/migrations/M", null, "id", "'M'" },
        { "DELETE", "/api/v1/migrations/x", null, "id", "'x'" },
        { "POST", "/api/v1/migrations/m-abc/switchover?force=maybe", null, "force", "maybe" },
        { "GET", "/api/v1/vfs/host-a/0000:3b:00.0/vf01", null, "id", "vf01" },
        { "DELETE", "/api/v1/vfs/host-a/zz/vf1", null, "id", "host-a/zz/vf1" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.9", "kind": "vfio", "profile": "eth-small"}""", "pf", "host-c/0000:5e:00.9" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "virtio", "profile": "eth-small"}""", "kind", "virtio" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "gpu-huge"}""", "profile", "gpu-huge" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth small!"}""", "profile", "eth small!" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "workload": "-vm"}""", "workload", "-vm" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": "vfio", "profile": "eth-small", "color": "red"}""", "color", "\"red\"" },
        { "POST", "/api/v1/vfs", """{"pf": "host-c/0000:5e:00.0", "kind": 7, "profile": "eth-small"}""", "kind", "7" },
        { "POST", "/api/v1/vfs", """{"kind": "vfio", "profile": "eth-small"}""", "pf", "'pf' is required" },
        { "POST", "/api/v1/migrations", """{"workload": "vm 1"}""", "workload", "vm 1" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "target": "HOST-B"}""", "target", "HOST-B" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": 5}""", "policy", "5" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"downtimeLimitMs": -1}}""", "policy.downtimeLimitMs", "-1" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"bandwidthBytesPerSecond": 1.5}}""", "policy.bandwidthBytesPerSecond", "1.5" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"maxPreCopyRounds": 0}}""", "policy.maxPreCopyRounds", "0" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"progressTimeoutSeconds": "30"}}""", "policy.progressTimeoutSeconds", "\"30\"" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"nonConvergenceAction": "later"}}""", "policy.nonConvergenceAction", "\"later\"" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"switchoverAckWaitMs": -5}}""", "policy.switchoverAckWaitMs", "-5" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5", "policy": {"speed": 1}}""", "policy.speed", "1" },
        { "POST", "/api/v1/placement", """{"workload": "vm-5", "policy": {}}""", "policy", "{}" },
        { "POST", "/api/v1/migrations", """{"workload": "vm-5",""", "body", "{\"workload\": \"vm-5\"," },
        { "POST", "/api/v1/migrations", """["vm-5"]""", "body", "[\"vm-5\"]" },
        { "POST", "/api/v1/migrations", "", "body", "workload" },
        { "POST", "/api/v1/placement", """{"workload": "vm-5", "target": "a_b"}""", "target", "a_b" },
        { "GET", "/api/v1/migrations?workload=vm%205", null, "workload", "vm 5" },
        { "GET", "/api/v1/migrations?host=HOST-B", null, "host", "HOST-B" },
        { "GET", "/api/v1/migrations?state=active,Flying", null, "state", "Flying" },
        { "GET", "/api/v1/migrations?since=yesterday", null, "since", "yesterday" },
        { "GET", "/api/v1/migrations?limit=0", null, "limit", "0" },
        { "GET", "/api/v1/migrations?limit=1001", null, "limit", "1001" },
        { "GET", "/api/v1/migrations?limit=ten", null, "limit", "ten" },
        { "GET", "/api/v1/migrations?cursor=not-a-cursor", null, "cursor", "not-a-cursor" },
        { "GET", "/api/v1/migrations?workloads=vm-5", null, "workloads", "vm-5" },
        { "GET", "/api/v1/migrations?limit=1&limit=2", null, "limit", "1,2" },
        { "GET", "/api/v1/migrations/history?workload=vm%205", null, "workload", "vm 5" },
        { "GET", "/api/v1/migrations/history?host=HOST-B", null, "host", "HOST-B" },
        { "GET", "/api/v1/migrations/history?limit=0", null, "limit", "0" },
        { "GET", "/api/v1/migrations/history?limit=1001", null, "limit", "1001" },
        { "GET", "/api/v1/migrations/history?limit=ten", null, "limit", "ten" },
        { "GET", "/api/v1/migrations/history?cursor=not-a-cursor", null, "cursor", "not-a-cursor" },
        { "GET", "/api/v1/migrations/history?cursor=djF8MXxtLTE", null, "cursor", "djF8MXxtLTE" }, // a GET /migrations cursor (v1|1|m-1)
        { "GET", "/api/v1/migrations/history?cursor=ajF8LTU", null, "cursor", "ajF8LTU" }, // j1|-5
        { "GET", "/api/v1/migrations/history?state=ended", null, "state", "ended" },
        { "GET", "/api/v1/migrations/history?cursor=a&cursor=b", null, "cursor", "a,b" },
        { "GET", "/api/v1/events?types=host,vfs", null, "types", "vfs" },
        { "GET", "/api/v1/events?migration=M-1", null, "migration", "M-1" },
        { "GET", "/api/v1/events?hosts=host-a", null, "hosts", "host-a" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Every_bad_input_is_400_problem_json_naming_the_field_and_the_value(string method, string path, string? body, string field, string value)
    {
        var before = (await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-c", auth: false), HttpStatusCode.OK))
            .GetProperty("pfs")[0].GetProperty("vfs").GetArrayLength();
        var response = await node.SendAsync(new HttpMethod(method), path, body);
        await Json.BadInputAsync(response, field, value);

        // Nothing half-created.
        var after = (await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-c", auth: false), HttpStatusCode.OK))
            .GetProperty("pfs")[0].GetProperty("vfs").GetArrayLength();
        Assert.Equal(before, after);
        var migrations = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/migrations", auth: false), HttpStatusCode.OK);
        Assert.DoesNotContain(migrations.GetProperty("items").EnumerateArray(), m => m.Str("workload") == "vm-5");
    }

    [Fact]
    public async Task A_node_started_as_orchestrator_node_does_not_serve_the_device_fault_api_and_says_which_verb_does()
    {
        // The fault API is the chaos harness's: no config key turns it on, only its own node verb (issue 19).
        var answer = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/chaos/device-faults", """{"pf": "host-a/0000:3b:00.0", "kind": "error", "vf": 0}"""),
            HttpStatusCode.Forbidden);
        Assert.Contains($"orchestrator {Orchestrator.Chaos.Harness.FaultNode.Verb}", answer.Str("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_idempotency_key_is_400_naming_it()
    {
        var request = node.Request(HttpMethod.Post, "/api/v1/migrations", """{"workload": "vm-5"}""");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        await Json.BadInputAsync(await node.Client.SendAsync(request), "Idempotency-Key", "kkkk");
    }
}
