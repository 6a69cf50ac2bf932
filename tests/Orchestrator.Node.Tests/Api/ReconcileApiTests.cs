using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Chaos.Harness;
using Orchestrator.Client;

namespace Orchestrator.Node.Tests.Api;

[Collection(ApiNodeCollection.Name)]
public class ReconcileApiTests(ApiNode node)
{
    private const string Pf = "host-c/0000:5e:00.0";

    [Fact]
    public async Task Post_reconcile_runs_now_reports_the_clean_up_and_streams_it()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/reconcile", auth: false)).StatusCode);
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-zz/reconcile"), HttpStatusCode.NotFound);
        await Json.BadInputAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/Bad%20Host/reconcile"), "id", "Bad Host");

        // A VF that no migration claims and no workload holds, dropped into ERROR: it can run nothing.
        var vf = await Json.ReadAsync(
            await node.SendAsync(HttpMethod.Post, "/api/v1/vfs", $$"""{"pf": "{{Pf}}", "kind": "vfio", "profile": "eth-small"}"""),
            HttpStatusCode.Created);
        var id = vf.Str("id");
        var index = int.Parse(id[(id.LastIndexOf("/vf", StringComparison.Ordinal) + 3)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null(node.App.Services.GetRequiredService<ChaosFaults>().Apply(new DeviceFault { Pf = Pf, Kind = DeviceFault.Error, Vf = index }));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var events = await node.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/events"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(cts.Token));

        // A dry run says what a run would clean, and cleans nothing.
        await Json.BadInputAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/reconcile?dryRun=maybe"), "dryRun", "maybe");
        var plan = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/reconcile?dryRun=true"), HttpStatusCode.OK);
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        Assert.Empty(plan.GetProperty("cleaned").EnumerateArray());
        var planned = Assert.Single(plan.GetProperty("planned").EnumerateArray());
        Assert.Equal(id, planned.Str("vf"));
        Assert.Equal("destroy-target", planned.Str("action"));
        await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, $"/api/v1/vfs/{id}", auth: false), HttpStatusCode.OK);

        var report = await Json.ReadAsync(await node.SendAsync(HttpMethod.Post, "/api/v1/hosts/host-c/reconcile"), HttpStatusCode.OK);
        Assert.False(report.GetProperty("dryRun").GetBoolean());
        Assert.Equal("host-c", report.Str("host"));
        Assert.Equal("api", report.Str("trigger"));
        Assert.True(report.GetProperty("checkedVfs").GetInt32() >= 1);
        Assert.Equal(JsonValueKindNull, report.GetProperty("skipped").ValueKind);
        var cleaned = Assert.Single(report.GetProperty("cleaned").EnumerateArray());
        Assert.Equal(id, cleaned.Str("vf"));
        Assert.Equal("destroy-target", cleaned.Str("action"));
        Assert.Equal(JsonValueKindNull, cleaned.GetProperty("migration").ValueKind);
        Assert.Contains("no migration claims it", cleaned.Str("reason"), StringComparison.Ordinal);
        await node.WaitForHostAsync("host-c", h => h.Pfs[0].Vfs.All(v => v.Id != id));

        // GET answers the last run without running again.
        var last = await Json.ReadAsync(await node.SendAsync(HttpMethod.Get, "/api/v1/hosts/host-c/reconcile", auth: false), HttpStatusCode.OK);
        Assert.Equal(report.Str("at"), last.Str("at"));

        // The clean-up went out on the event stream too.
        string? name = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            Assert.NotNull(line);
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (name == "leftover" && line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains($"\"vf\":\"{id}\"", StringComparison.Ordinal))
            {
                Assert.Contains("\"action\":\"destroy-target\"", line, StringComparison.Ordinal);
                break;
            }
        }
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
