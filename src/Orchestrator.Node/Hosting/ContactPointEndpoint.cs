using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Newtonsoft.Json;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// The node's contact point for Akka.Management's Cluster Bootstrap: <c>GET /bootstrap/seed-nodes</c> on the
/// management port, answered as Akka.Management's own route answers it (its protocol types, its JSON), and served by
/// Kestrel. Akka.Management's HTTP server needs Akka.Http.Shim's Ceen.Httpd 0.9.9, which the registry does not serve
/// (0.9.10 lacks the method it calls: the endpoint fails to start); bootstrap supports routes bound by the application.
/// Only this one route listens on the port: nothing else of the API is reachable through it.
/// </summary>
public sealed class ContactPointEndpoint : IAsyncDisposable
{
    /// <summary>The path Cluster Bootstrap probes.</summary>
    public const string Path = "/bootstrap/seed-nodes";

    /// <summary>As many members as Akka.Management's route exposes (<c>max-seed-nodes-to-expose</c>).</summary>
    private const int MaxSeedNodes = 5;

    private readonly WebApplication _app;

    private ContactPointEndpoint(WebApplication app) => _app = app;

    /// <summary>
    /// Binds the endpoint for <paramref name="settings"/> (management host and port), tells bootstrap its own contact
    /// point, and starts bootstrap. Throws when the port cannot be bound.
    /// </summary>
    public static async Task<ContactPointEndpoint> StartAsync(ActorSystem system, NodeSettings settings, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        var bind = System.Net.IPAddress.TryParse(settings.Hostname, out var address) ? address.ToString() : "0.0.0.0";
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(address?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind)}:{settings.ManagementPort}"));
        var app = builder.Build();
        var cluster = Akka.Cluster.Cluster.Get(system);
        app.MapGet(Path, () => Results.Content(SeedNodesJson(cluster), "application/json"));
        await app.StartAsync();

        var bootstrap = ClusterBootstrap.Get(system);
        // Sets bootstrap's own contact point (how it knows itself among the discovered ones); the routes it returns are
        // Akka.Http's and are not bound.
        _ = bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{settings.Hostname}:{settings.ManagementPort}/")), readOnly: true));
        await bootstrap.Start();
        return new ContactPointEndpoint(app);
    }

    /// <summary>
    /// What a probe learns: this node's address and the members it can vouch for (reachable, joining or up). A node
    /// that is leaving or down names none, so that nobody joins through it.
    /// </summary>
    internal static string SeedNodesJson(Akka.Cluster.Cluster cluster)
    {
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
        {
            return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, []));
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(MaxSeedNodes)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
