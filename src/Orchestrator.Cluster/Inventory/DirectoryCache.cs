using Akka.Actor;
using Akka.DistributedData;

namespace Orchestrator.Cluster.Inventory;

/// <summary>
/// This node's copy of the host directory, kept by one subscriber for every reader on the node that only looks PFs up
/// (migration coordinators). Each coordinator used to subscribe to all 16 directory keys itself: the replicator then
/// held 16 subscriptions (and a death watch) per coordinator, answered each with the key's value at once, and told every
/// change of a host to every coordinator alive. Under a burst of 180 new migrations that was the replicator's largest
/// load, and a replicator behind its mailbox answers majority reads and writes late (issue 16). The copy is as fresh as a
/// coordinator's own subscription was: the same notifications, received once.
/// </summary>
public sealed class DirectoryCache : IExtension
{
    private readonly DirectoryCopy _copy = new();
    private readonly object _gate = new();

    internal DirectoryCache(ExtendedActorSystem system) =>
        system.SystemActorOf(Props.Create(() => new Subscriber(this)), "directory-cache");

    /// <summary>The cache of <paramref name="system"/> (started, and subscribed, on first use).</summary>
    public static DirectoryCache Get(ActorSystem system) => system.WithExtension<DirectoryCache, DirectoryCacheProvider>();

    /// <summary>The PF actor of <paramref name="pf"/> as this node's copy of the directory knows it, or null.</summary>
    public IActorRef? PfRef(PfId pf)
    {
        lock (_gate)
        {
            return _copy.PfRef(pf);
        }
    }

    private void Apply(IKey key, object? data)
    {
        lock (_gate)
        {
            _copy.Apply(key, data);
        }
    }

    private sealed class Subscriber : ReceiveActor
    {
        public Subscriber(DirectoryCache cache)
        {
            Receive<Changed>(c => cache.Apply(c.Key, c.Data));
            Receive<GetSuccess>(g => cache.Apply(g.Key, g.Data));
            Receive<NotFound>(_ => { });
            Receive<GetFailure>(_ => { });
        }

        protected override void PreStart() => HostDirectory.Subscribe(DistributedData.Get(Context.System).Replicator, Self);
    }
}

/// <summary>Creates the node's <see cref="DirectoryCache"/>.</summary>
public sealed class DirectoryCacheProvider : ExtensionIdProvider<DirectoryCache>
{
    public override DirectoryCache CreateExtension(ExtendedActorSystem system) => new(system);
}
