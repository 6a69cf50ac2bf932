namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// Prometheus's own linter judges what the node exports and the alert rules shipped in <c>deploy/prometheus</c>:
/// <c>promtool check metrics</c> (naming conventions: units, <c>_total</c> on counters, no type in a name) and
/// <c>promtool check rules</c> (syntax, and that every expression parses). promtool comes from Debian's
/// <c>prometheus</c> package; <c>.ci/install</c> puts it on the PATH.
/// </summary>
[Collection(ApiNodeCollection.Name)]
public class PromtoolTests(ApiNode node)
{
    [Fact]
    public async Task Promtool_accepts_every_metric_the_node_exports_without_a_warning()
    {
        var metrics = await (await node.SendAsync(HttpMethod.Get, "/metrics", auth: false)).Content.ReadAsStringAsync();
        foreach (var name in new[] { "orchestrator_migration_transferred_bytes_total", "orchestrator_migrations_rolled_back_total", "orchestrator_migration_oldest_in_flight_seconds", "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_collection_count_total", "orchestrator_cluster_members", "orchestrator_cluster_unreachable_members", "http_requests_received_total", "http_request_duration_seconds" })
        {
            Assert.Contains("# TYPE " + name, metrics, StringComparison.Ordinal);
        }

        Assert.Contains("orchestrator_cluster_members{status=\"Up\"} 1", metrics, StringComparison.Ordinal); // the test node, alone
        Assert.Contains("orchestrator_cluster_unreachable_members 0", metrics, StringComparison.Ordinal);

        var (exit, output) = await ExternalTool.RunAsync(await FindPromtoolAsync(), "check metrics", metrics);
        Assert.True(exit == 0 && output.Trim().Length == 0, $"promtool check metrics (exit {exit}):\n{output}");
    }

    [Fact]
    public async Task Promtool_accepts_the_shipped_alert_rules()
    {
        var rules = Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "prometheus", "alerts.yml");
        Assert.True(File.Exists(rules), $"{rules} is missing");
        var (exit, output) = await ExternalTool.RunAsync(await FindPromtoolAsync(), $"check rules \"{rules}\"", null);
        Assert.True(exit == 0, $"promtool check rules (exit {exit}):\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_grafana_dashboard_asks_only_queries_that_parse_about_metrics_the_node_exports()
    {
        var dashboard = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "grafana", "orchestrator.json")))!;
        var queries = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(queries);

        // Every name a query reads is exported (a renamed metric breaks the dashboard here, not in front of an operator).
        var metrics = await (await node.SendAsync(HttpMethod.Get, "/metrics", auth: false)).Content.ReadAsStringAsync();
        foreach (var name in queries.SelectMany(q => System.Text.RegularExpressions.Regex.Matches(q, @"\b(?:orchestrator|process|dotnet|http)_[a-z_]+").Select(m => m.Value)).Distinct())
        {
            var family = System.Text.RegularExpressions.Regex.Replace(name, "_(bucket|count|sum)$", "");
            Assert.True(metrics.Contains("# TYPE " + family + " ", StringComparison.Ordinal), $"the dashboard reads {name}, which /metrics does not export");
        }

        // Every query parses: promtool checks them as recording rules (JSON strings are YAML strings).
        var rules = Path.Combine(Path.GetTempPath(), $"dashboard-rules-{Guid.NewGuid():N}.yml");
        await File.WriteAllLinesAsync(rules, ["groups:", "  - name: dashboard", "    rules:", .. queries.SelectMany((q, i) => new[] { $"      - record: dashboard:query_{i}", "        expr: " + System.Text.Json.JsonSerializer.Serialize(q) })]);
        try
        {
            var (exit, output) = await ExternalTool.RunAsync(await FindPromtoolAsync(), $"check rules \"{rules}\"");
            Assert.True(exit == 0, $"promtool check rules on the dashboard's queries (exit {exit}):\n{output}");
        }
        finally
        {
            File.Delete(rules);
        }
    }

    private static readonly string[] PromtoolPaths = ["/usr/bin/promtool", "/usr/local/bin/promtool"];

    private static async Task<string> FindPromtoolAsync()
    {
        if (PromtoolPaths.FirstOrDefault(File.Exists) is { } found)
        {
            return found;
        }

        // As the OpenAPI lint does with redocly: one install try, then a failure that says what to run.
        var (exit, output) = await ExternalTool.RunAsync("bash", $"\"{Path.Combine(ExternalTool.RepositoryRoot(), ".ci", "install-promtool")}\"", null);
        var installed = PromtoolPaths.FirstOrDefault(File.Exists);
        Assert.True(installed is not null, $"promtool is not installed and .ci/install-promtool did not install it (exit {exit}): {output}");
        return installed!;
    }
}
