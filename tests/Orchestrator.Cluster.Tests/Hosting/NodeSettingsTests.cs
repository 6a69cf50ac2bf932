using Orchestrator.Cluster.Hosting;

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
    [InlineData("seed", "akka.tcp://other@127.0.0.1:1")]
    [InlineData("seed", "http://127.0.0.1:1")]
    [InlineData("role", "scheduler")]
    [InlineData("name", "bad name")]
    public void Every_bad_value_is_named(string key, string value)
    {
        var settings = key switch
        {
            "port" => new NodeSettings { Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "seed" => new NodeSettings { SeedNodes = [value] },
            "role" => new NodeSettings { Roles = [value] },
            _ => new NodeSettings { NodeName = value },
        };
        var error = Assert.Single(settings.Validate());
        Assert.Contains(value, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<ArgumentException>(() => OrchestratorConfig.Build(settings));
        Assert.Contains(value, thrown.Message, StringComparison.Ordinal);
    }
}
