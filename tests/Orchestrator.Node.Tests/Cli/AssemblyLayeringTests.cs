using Orchestrator.Client;
using Orchestrator.Node.Hosting;

namespace Orchestrator.Node.Tests.Cli;

/// <summary>The layers of DESIGN.md §2 as assembly references: each assembly may use only those below it.</summary>
public class AssemblyLayeringTests
{
    private static string[] OrchestratorReferences(Type type) =>
        [.. type.Assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Orchestrator", StringComparison.Ordinal) || n.StartsWith("Akka", StringComparison.Ordinal)).Order()];

    [Fact]
    public void The_client_speaks_only_the_api_json_and_references_no_orchestrator_or_akka_assembly() =>
        Assert.Empty(OrchestratorReferences(typeof(OrchestratorApiClient)));

    [Fact]
    public void The_device_contract_knows_nothing_above_it_and_the_domain_only_the_contract()
    {
        Assert.Empty(OrchestratorReferences(typeof(Devices.Contract.VfioDeviceState)));
        Assert.DoesNotContain(OrchestratorReferences(typeof(Domain.Migrations.MigrationState)), n => n != "Orchestrator.Devices");
    }

    [Fact]
    public void The_cluster_references_neither_the_chaos_harness_nor_the_node_nor_the_client()
    {
        var references = OrchestratorReferences(typeof(Cluster.Hosting.OrchestratorClient));
        Assert.DoesNotContain("Orchestrator.Chaos", references);
        Assert.DoesNotContain("orchestrator", references);
        Assert.DoesNotContain("Orchestrator.Client", references);
    }

    [Fact]
    public void The_chaos_harness_stands_on_the_cluster_and_the_client_and_not_on_the_node()
    {
        var references = OrchestratorReferences(typeof(global::Orchestrator.Chaos.Harness.ChaosRun));
        Assert.Contains("Orchestrator.Cluster", references);
        Assert.Contains("Orchestrator.Client", references);
        Assert.DoesNotContain("orchestrator", references);
    }

    [Fact]
    public void No_production_assembly_holds_the_harness_the_checker_or_the_process_launcher()
    {
        Type[] production = [typeof(Devices.Contract.VfioDeviceState), typeof(Domain.Migrations.MigrationState), typeof(Cluster.Hosting.OrchestratorClient), typeof(OrchestratorApiClient), typeof(global::Orchestrator.Node.Cli.OrchestratorCli)];
        var offending = production.SelectMany(t => t.Assembly.GetTypes())
            .Where(t => t.Namespace is { } ns && (ns.Contains(".Checker", StringComparison.Ordinal) || ns.Contains(".Harness", StringComparison.Ordinal) || ns.Contains(".Processes", StringComparison.Ordinal)
                || t.Name.Contains("ChaosRun", StringComparison.Ordinal) || t.Name.Contains("LocalCluster", StringComparison.Ordinal) || t.Name.Contains("HistoryChecker", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(offending);
    }

    [Fact]
    public void No_node_config_key_is_a_chaos_or_unsafe_switch()
    {
        // The harness's switches are its own node verbs (fault-node, chaos-node), never keys of a production config.
        var keys = typeof(NodeConfigKeys).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("chaos.", StringComparison.Ordinal) || k.Contains("unsafe", StringComparison.Ordinal));
    }
}
