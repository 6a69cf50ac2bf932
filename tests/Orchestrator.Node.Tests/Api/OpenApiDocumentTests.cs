using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Node.Tests.Api;

/// <summary>
/// <c>docs/openapi.json</c> is what a node serves (ORCHESTRATOR_WRITE_OPENAPI=1 writes it), and an external linter
/// (Redocly CLI, installed by <c>.ci/install</c>) finds no error in it.
/// </summary>
[Collection(ApiNodeCollection.Name)]
public class OpenApiDocumentTests(ApiNode node)
{
    /// <summary>The Redocly CLI version that installs here (see the library's npm list).</summary>
    public const string RedoclyPackage = "@redocly/cli@2.77.0";

    private static string DocumentPath => Path.Combine(ExternalTool.RepositoryRoot(), "docs", "openapi.json");

    [Fact]
    public async Task The_committed_document_is_the_one_a_node_serves()
    {
        var served = Normalize(await (await node.SendAsync(HttpMethod.Get, "/openapi/v1.json", auth: false)).Content.ReadAsStringAsync());
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_WRITE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(DocumentPath, served);
        }

        Assert.True(File.Exists(DocumentPath), $"{DocumentPath} is missing; write it with ORCHESTRATOR_WRITE_OPENAPI=1");
        var committed = Normalize(await File.ReadAllTextAsync(DocumentPath));
        Assert.True(committed == served, "docs/openapi.json differs from what the node serves; write it again with ORCHESTRATOR_WRITE_OPENAPI=1 and review the diff");
    }

    [Fact]
    public async Task Redocly_finds_no_error_in_the_document()
    {
        var redocly = await FindRedoclyAsync();
        var (exit, output) = await ExternalTool.RunAsync(redocly, $"lint \"{DocumentPath}\" --format=stylish", environment: new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["NO_COLOR"] = "1" });
        Assert.True(exit == 0, $"redocly lint failed (exit {exit}):\n{output}");
    }

    [Fact]
    public async Task Every_mutating_operation_needs_the_bearer_scheme_and_every_operation_has_a_summary_and_a_success_answer()
    {
        var doc = JsonNode.Parse(await (await node.SendAsync(HttpMethod.Get, "/openapi/v1.json", auth: false)).Content.ReadAsStringAsync())!;
        Assert.Equal("http", doc["components"]!["securitySchemes"]!["bearer"]!["type"]!.GetValue<string>());
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var needsBearer = operation!["security"]!.AsArray().Any(r => r!.AsObject().ContainsKey("bearer"));
                Assert.True(needsBearer == (method is "post" or "patch" or "delete"), $"{method} {path}: bearer required is {needsBearer}");
                Assert.False(string.IsNullOrEmpty(operation["summary"]?.GetValue<string>()), $"{method} {path} has no summary");
                Assert.Contains(operation["responses"]!.AsObject(), r => r.Key.StartsWith('2'));

                foreach (var (status, response) in operation!["responses"]!.AsObject())
                {
                    foreach (var (_, media) in response!["content"]?.AsObject() ?? [])
                    {
                        var schema = media!["schema"];
                        Assert.True(schema is not null, $"{method} {path} {status} has content without a schema");
                    }
                }
            }
        }
    }

    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static async Task<string> FindRedoclyAsync()
    {
        foreach (var candidate in new[] { "/usr/bin/redocly", "/usr/local/bin/redocly" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // As the browser test does with Chromium: one install try, then a failure that says what to run.
        var (exit, output) = await ExternalTool.RunAsync("npm", $"install -g {RedoclyPackage}");
        var installed = new[] { "/usr/bin/redocly", "/usr/local/bin/redocly" }.FirstOrDefault(File.Exists);
        Assert.True(installed is not null, $"redocly is not installed and 'npm install -g {RedoclyPackage}' did not install it (exit {exit}): {output}; run .ci/install");
        return installed!;
    }
}
