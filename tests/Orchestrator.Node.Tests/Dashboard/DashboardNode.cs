using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Node.Hosting;
using Orchestrator.Node.Tests.Api;

namespace Orchestrator.Node.Tests.Dashboard;

/// <summary>
/// One real node (the production <see cref="NodeHost"/> composition, the API tests' topology) on a real Kestrel port
/// of 127.0.0.1, so a browser can open its dashboard.
/// </summary>
public sealed class DashboardNode : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("orchestrator-dashboard-test-");

    public WebApplication App { get; private set; } = null!;

    /// <summary>Where the node listens, for example <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "topology.yaml"), ApiNode.Topology);
        App = NodeHost.Build(ApiNode.Options(_dir.FullName), new NodeToken(ApiNode.Token, "test", null),
            b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await App.StartAsync();
        var addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.Single());
        var runtime = await App.Services.GetRequiredService<NodeRuntime>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        var hosts = await runtime.Client.WaitForHostsAsync(3, TimeSpan.FromSeconds(20));
        Assert.Equal(3, hosts.Hosts.Count);
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // The OS temp cleaner gets what a late writer still holds.
        }
    }
}
