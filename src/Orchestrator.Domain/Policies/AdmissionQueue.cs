using System.Collections.Immutable;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Policies;

/// <summary>
/// A pure, immutable FIFO admission queue under <see cref="ConcurrencyLimits"/>.
/// Head-of-line rule (per-resource FIFO): <see cref="Admit"/> walks the queue in order; an entry starts when every
/// limit has room and it shares no host-outbound, host-inbound or PF resource with an earlier entry still waiting.
/// So an entry never overtakes an earlier one that needs the same host or PF (no starvation: what a waiting entry
/// needs is only ever freed to it first), while unrelated migrations are not held up by a busy host (one draining
/// host does not hog the queue). When the cluster limit is full nobody starts, so it is strictly FIFO.
/// </summary>
public sealed class AdmissionQueue
{
    private readonly ImmutableList<AdmissionRequest> _waiting;
    private readonly ImmutableList<AdmissionRequest> _running;

    private AdmissionQueue(ConcurrencyLimits limits, ImmutableList<AdmissionRequest> waiting, ImmutableList<AdmissionRequest> running)
    {
        Limits = limits;
        _waiting = waiting;
        _running = running;
    }

    /// <summary>The limits.</summary>
    public ConcurrencyLimits Limits { get; }

    /// <summary>Waiting entries, in arrival order.</summary>
    public IReadOnlyList<AdmissionRequest> Waiting => _waiting;

    /// <summary>Admitted entries not yet released.</summary>
    public IReadOnlyList<AdmissionRequest> Running => _running;

    /// <summary>An empty queue.</summary>
    public static AdmissionQueue Create(ConcurrencyLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return new(limits, [], []);
    }

    /// <summary>Adds <paramref name="request"/> at the tail; a migration already waiting or running is left as it is.</summary>
    public AdmissionQueue Enqueue(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Contains(request.Migration) ? this : new(Limits, _waiting.Add(request), _running);
    }

    /// <summary>
    /// Marks <paramref name="request"/> running without queueing (a recovered coordinator that was already admitted);
    /// it counts against the limits even if that exceeds them for a while.
    /// </summary>
    public AdmissionQueue Restore(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var waiting = _waiting.RemoveAll(r => r.Migration == request.Migration);
        return _running.Any(r => r.Migration == request.Migration) ? this : new(Limits, waiting, _running.Add(request));
    }

    /// <summary>Whether the migration is waiting or running.</summary>
    public bool Contains(MigrationId migration) =>
        _waiting.Any(r => r.Migration == migration) || _running.Any(r => r.Migration == migration);

    /// <summary>The 0-based position of a waiting migration, or null.</summary>
    public int? PositionOf(MigrationId migration)
    {
        var index = _waiting.FindIndex(r => r.Migration == migration);
        return index < 0 ? null : index;
    }

    /// <summary>Starts what may start now; returns the new queue and the admitted migrations, in queue order.</summary>
    public (AdmissionQueue Queue, IReadOnlyList<MigrationId> Admitted) Admit()
    {
        var running = _running;
        var waiting = ImmutableList.CreateBuilder<AdmissionRequest>();
        var admitted = new List<MigrationId>();
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in _waiting)
        {
            var resources = Resources(request);
            if (!resources.Any(blocked.Contains) && Fits(request, running))
            {
                running = running.Add(request);
                admitted.Add(request.Migration);
            }
            else
            {
                waiting.Add(request);
                blocked.UnionWith(resources);
            }
        }

        return (new AdmissionQueue(Limits, waiting.ToImmutable(), running), admitted);
    }

    /// <summary>Removes the migration, waiting or running (idempotent).</summary>
    public AdmissionQueue Release(MigrationId migration) =>
        Contains(migration)
            ? new(Limits, _waiting.RemoveAll(r => r.Migration == migration), _running.RemoveAll(r => r.Migration == migration))
            : this;

    /// <summary>Running migrations leaving <paramref name="host"/>.</summary>
    public int OutboundOf(HostId host) => _running.Count(r => r.SourceHost == host);

    /// <summary>Running migrations arriving at <paramref name="host"/>.</summary>
    public int InboundOf(HostId host) => _running.Count(r => r.TargetHost == host);

    /// <summary>Running migrations touching <paramref name="pf"/>.</summary>
    public int OnPf(PfId pf) => _running.Count(r => r.Pfs.Contains(pf));

    private bool Fits(AdmissionRequest request, ImmutableList<AdmissionRequest> running) =>
        running.Count < Limits.PerCluster
        && running.Count(r => r.SourceHost == request.SourceHost) < Limits.PerHostOutbound
        && running.Count(r => r.TargetHost == request.TargetHost) < Limits.PerHostInbound
        && request.Pfs.All(pf => running.Count(r => r.Pfs.Contains(pf)) < Limits.PerPf);

    private static IEnumerable<string> Resources(AdmissionRequest request) =>
        [$"out:{request.SourceHost}", $"in:{request.TargetHost}", .. request.Pfs.Select(pf => $"pf:{pf}")];
}
