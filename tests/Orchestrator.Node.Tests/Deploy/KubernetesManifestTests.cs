using Orchestrator.Node.Tests.Api;

namespace Orchestrator.Node.Tests.Deploy;

/// <summary>
/// <c>deploy/k8s/orchestrator.yaml</c> against the Kubernetes JSON schemas (kubernetes-models) and the review rules of
/// <c>deploy/k8s/check/validate.mjs</c>: non-root, read-only root file system, no capabilities, secrets from Secrets,
/// probes, scrape annotations, spread over machines, a PodDisruptionBudget of one and a NetworkPolicy.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Check = Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "k8s", "check");

    [Fact]
    public async Task The_manifest_passes_the_schemas_and_the_review_rules()
    {
        var output = await ValidateAsync(Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "k8s", "orchestrator.yaml"), expectExit: 0);

        Assert.All(["StatefulSet/orchestrator", "PodDisruptionBudget/orchestrator", "NetworkPolicy/orchestrator", "Role/orchestrator-pod-reader"],
            kind => Assert.Contains("ok " + kind, output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_manifest_that_breaks_a_rule_or_the_schema_is_refused_naming_it()
    {
        var manifest = await File.ReadAllTextAsync(Path.Combine(ExternalTool.RepositoryRoot(), "deploy", "k8s", "orchestrator.yaml"));
        var broken = Path.Combine(Directory.CreateTempSubdirectory("orch-k8s-").FullName, "broken.yaml");
        try
        {
            await File.WriteAllTextAsync(broken, manifest
                .Replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", StringComparison.Ordinal)
                .Replace("maxUnavailable: 1", "maxUnavailable: 2", StringComparison.Ordinal)
                .Replace("- { name: akka, containerPort: 4053 }", "- { name: akka, containerPort: \"4053\" }", StringComparison.Ordinal)
                .Replace("kind: Role\n", "kind: Rolle\n", StringComparison.Ordinal));

            var output = await ValidateAsync(broken, expectExit: 1);

            Assert.Contains("Role", output, StringComparison.Ordinal);
            Assert.Contains("containerPort must be integer", output, StringComparison.Ordinal);
            Assert.Contains("no kind Rolle", output, StringComparison.Ordinal);
            // With the schema error mended, the review rules speak.
            await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(broken)).Replace("containerPort: \"4053\"", "containerPort: 4053", StringComparison.Ordinal));
            output = await ValidateAsync(broken, expectExit: 1);
            Assert.Contains("container node: readOnlyRootFilesystem is not true", output, StringComparison.Ordinal);
            Assert.Contains("maxUnavailable is 2, not 1", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(broken)!, recursive: true);
        }
    }

    private static async Task<string> ValidateAsync(string manifest, int expectExit)
    {
        Assert.True(Directory.Exists(Path.Combine(Check, "node_modules", "kubernetes-models")),
            $"the schema check is not installed: run `npm install --prefix {Check}` (.ci/install does)");
        var (exit, output) = await ExternalTool.RunAsync("node", $"\"{Path.Combine(Check, "validate.mjs")}\" \"{manifest}\"");
        Assert.True(exit == expectExit, $"validate.mjs exited {exit}, expected {expectExit}:\n{output}");
        return output;
    }
}
