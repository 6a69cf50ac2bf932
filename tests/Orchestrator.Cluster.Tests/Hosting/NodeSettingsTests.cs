using Akka.Cluster.Tools.Singleton;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Cluster.Tests.Hosting;

public class NodeSettingsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new NodeSettings().Validate());
        Assert.NotNull(OrchestratorConfig.Build(new NodeSettings()));
    }

    [Theory]
    [InlineData("port", "70000")]
    [InlineData("contact", "akka.tcp://orchestrator@127.0.0.1:1")]
    [InlineData("contact", "127.0.0.1")]
    [InlineData("contact", "127.0.0.1:70000")]
    [InlineData("management", "0")]
    [InlineData("role", "scheduler")]
    [InlineData("name", "bad name")]
    public void Every_bad_value_is_named(string key, string value)
    {
        var settings = key switch
        {
            "port" => new NodeSettings { Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "contact" => new NodeSettings { ContactPoints = ["127.0.0.1:8558", value] },
            "management" => new NodeSettings { ManagementPort = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "role" => new NodeSettings { Roles = [value] },
            _ => new NodeSettings { NodeName = value },
        };
        var error = Assert.Single(settings.Validate());
        Assert.Contains(value, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<ArgumentException>(() => OrchestratorConfig.Build(settings));
        Assert.Contains(value, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_placement_authoritys_proxy_looks_for_it_every_100_ms_until_it_answers()
    {
        // Its first look after a node starts often comes before the singleton exists; at Akka's 1 s every claim and
        // placement of a fresh cluster waited in the proxy's buffer for the next look (issue 16: half of the bench's
        // evacuations started their 64 migrations 0.5-0.7 s late). Read as the runtime's proxy reads it.
        var system = StandaloneSystem.Create("proxy-settings");
        try
        {
            var settings = ClusterSingletonProxySettings.Create(system);
            Assert.Equal(TimeSpan.FromMilliseconds(100), settings.SingletonIdentificationInterval);
            Assert.Equal(ClusterRoles.Coordinator, settings.Role);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Every_node_must_list_itself_and_kubernetes_needs_a_count()
    {
        var elsewhere = new NodeSettings { ContactPoints = ["10.0.0.1:8558", "10.0.0.2:8558"] };
        Assert.Contains(elsewhere.Validate(), e => e.Contains("127.0.0.1:8558", StringComparison.Ordinal) && e.Contains("cluster.contact-points", StringComparison.Ordinal));

        var twice = new NodeSettings { ContactPoints = ["127.0.0.1:8558", "127.0.0.1:8558"] };
        Assert.Contains(twice.Validate(), e => e.Contains("twice", StringComparison.Ordinal));

        var kubernetes = new NodeSettings { Discovery = DiscoveryMethod.KubernetesApi };
        Assert.Contains(kubernetes.Validate(), e => e.StartsWith("cluster.required-contact-points", StringComparison.Ordinal));
        Assert.Empty((kubernetes with { RequiredContactPoints = 3 }).Validate());
    }

    [Fact]
    public void Bootstrap_requires_every_listed_contact_point_and_probes_each_port()
    {
        var config = OrchestratorConfig.Build(new NodeSettings { ContactPoints = ["127.0.0.1:8558", "127.0.0.1:8559", "127.0.0.1:8560"] });

        Assert.Equal(3, config.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.True(config.GetBoolean("akka.management.cluster.bootstrap.contact-point-discovery.contact-with-all-contact-points"));
        Assert.False(config.GetBoolean("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
        Assert.Equal(["127.0.0.1:8558", "127.0.0.1:8559", "127.0.0.1:8560"], config.GetStringList("akka.discovery.config.services.orchestrator.endpoints"));
        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes"));
        Assert.False(new NodeSettings().UsesBootstrap);
    }
}
