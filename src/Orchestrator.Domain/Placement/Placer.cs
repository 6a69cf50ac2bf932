using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>
/// Chooses a target host and a target VF for every VF of a workload, or says, for every request, host and PF it
/// rejected, why. Pure and deterministic.
/// <list type="number">
/// <item>The request: every source VF exists, all on one host, of kind vfio, on a PF that supports migration; a
/// multi-VF workload needs P2P on every source device (vfio-migration §1.10, §4.1 #17).</item>
/// <item>Each host (or only the requested one), in id order: not the source host, not cordoned.</item>
/// <item>Each PF there, for each source VF: same driver and device type, compatible firmware
/// (<see cref="CompatibilityRules"/>), offers the profile, P2P when multi-VF, and a free VF slot and migration slot
/// counting the <see cref="ReservationLedger"/>.</item>
/// <item>All the workload's VFs must fit on one host at once (a bipartite matching of VFs to PF slots); otherwise
/// the host is rejected as a whole.</item>
/// <item>Among hosts that fit: most free slots on compatible PFs, then host id. On a host, PFs with the most free
/// slots first, then PF id; the target VF is the lowest free index.</item>
/// </list>
/// </summary>
public static class Placer
{
    /// <summary>Places <paramref name="request"/> on <paramref name="inventory"/>, counting <paramref name="reservations"/>.</summary>
    /// <param name="request">The workload and its source VFs.</param>
    /// <param name="inventory">Hosts, PFs and VFs now.</param>
    /// <param name="reservations">What in-flight migrations hold.</param>
    /// <param name="queueForMigrationSlots">
    /// True when the caller queues for busy migration slots (the cluster's admission queue and the PF's FIFO do):
    /// a PF whose migration slots are all in use is then still a target, since a slot frees when a migration ends.
    /// False answers "where could it start right now".
    /// </param>
    public static PlacementResult Place(PlacementRequest request, Inventory inventory, ReservationLedger reservations, bool queueForMigrationSlots = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(reservations);

        var rejections = new List<PlacementRejection>();
        var sources = CheckRequest(request, inventory, rejections);
        if (sources is null)
        {
            return new PlacementResult(null, rejections);
        }

        var sourceHost = sources[0].Vf.Id.Host;
        IEnumerable<HostInventory> hosts;
        if (request.TargetHost is { } wanted)
        {
            var host = inventory.FindHost(wanted);
            if (host is null)
            {
                rejections.Add(new(PlacementRejectionReasonCode.HostNotFound, $"requested target host '{wanted}' is not in the inventory", wanted));
                return new PlacementResult(null, rejections);
            }

            hosts = [host];
        }
        else
        {
            hosts = inventory.Hosts.OrderBy(h => h.Id);
        }

        (PlacementTarget Target, int Score)? best = null;
        foreach (var host in hosts)
        {
            if (TryHost(host, sourceHost, sources, reservations, queueForMigrationSlots, rejections) is { } candidate
                && (best is null || candidate.Score > best.Value.Score))
            {
                best = candidate;
            }
        }

        return new PlacementResult(best?.Target, rejections);
    }

    private static List<(VfInventory Vf, PfInventory Pf)>? CheckRequest(
        PlacementRequest request, Inventory inventory, List<PlacementRejection> rejections)
    {
        if (request.SourceVfs.Count == 0)
        {
            rejections.Add(new(PlacementRejectionReasonCode.NoSourceVfs, $"workload '{request.Workload}' has no VF to migrate"));
            return null;
        }

        var sources = new List<(VfInventory Vf, PfInventory Pf)>();
        foreach (var id in request.SourceVfs.Distinct().OrderBy(v => v))
        {
            var pf = inventory.FindPf(id.Pf);
            var vf = pf?.Vfs.FirstOrDefault(v => v.Id == id);
            if (pf is null || vf is null)
            {
                rejections.Add(new(PlacementRejectionReasonCode.SourceVfNotFound, $"source VF '{id}' is not in the inventory", SourceVf: id));
                continue;
            }

            if (vf.Kind != VfKind.Vfio)
            {
                rejections.Add(new(PlacementRejectionReasonCode.KindNotMigratable, $"source VF '{id}' is of kind {vf.Kind}; only vfio VFs live-migrate", SourceVf: id));
            }

            if (!pf.Descriptor.MigrationFlags.HasFlag(MigrationFlags.StopCopy))
            {
                rejections.Add(new(PlacementRejectionReasonCode.MigrationNotSupported, $"source PF '{pf.Id}' does not support migration (flags {pf.Descriptor.MigrationFlags.Name()})", SourceVf: id));
            }

            sources.Add((vf, pf));
        }

        var hosts = sources.Select(s => s.Vf.Id.Host).Distinct().ToList();
        if (hosts.Count > 1)
        {
            rejections.Add(new(PlacementRejectionReasonCode.SourcesOnSeveralHosts, $"source VFs of workload '{request.Workload}' are on several hosts: {string.Join(", ", hosts)}"));
        }

        if (sources.Count > 1)
        {
            foreach (var (vf, pf) in sources.Where(s => !s.Pf.Descriptor.MigrationFlags.HasFlag(MigrationFlags.P2P)))
            {
                rejections.Add(new(PlacementRejectionReasonCode.SourceLacksP2P, $"workload '{request.Workload}' has {sources.Count} VFs, so every device needs P2P; source PF '{pf.Id}' has flags {pf.Descriptor.MigrationFlags.Name()}", SourceVf: vf.Id));
            }
        }

        return rejections.Count == 0 ? sources : null;
    }

    private static (PlacementTarget Target, int Score)? TryHost(
        HostInventory host,
        HostId sourceHost,
        List<(VfInventory Vf, PfInventory Pf)> sources,
        ReservationLedger reservations,
        bool queueForMigrationSlots,
        List<PlacementRejection> rejections)
    {
        if (host.Id == sourceHost)
        {
            rejections.Add(new(PlacementRejectionReasonCode.SameHostAsSource, $"host '{host.Id}' is the source host", host.Id));
            return null;
        }

        if (host.Cordoned)
        {
            rejections.Add(new(PlacementRejectionReasonCode.HostCordoned, $"host '{host.Id}' is cordoned", host.Id));
            return null;
        }

        var multi = sources.Count > 1;
        var pfs = new List<(PfInventory Pf, int Capacity, HashSet<int> UsedIndices)>();
        var candidates = sources.Select(_ => new List<int>()).ToList();
        foreach (var pf in host.Pfs.OrderBy(p => p.Id))
        {
            var compatibleFor = new List<int>();
            var seen = new HashSet<(PlacementRejectionReasonCode, string)>();
            for (var i = 0; i < sources.Count; i++)
            {
                var (vf, sourcePf) = sources[i];
                var problem = CheckPfFor(vf, sourcePf, pf, multi);
                if (problem is { } p)
                {
                    if (seen.Add(p))
                    {
                        rejections.Add(new(p.Code, p.Detail, host.Id, pf.Id, multi ? vf.Id : null));
                    }
                }
                else
                {
                    compatibleFor.Add(i);
                }
            }

            if (compatibleFor.Count == 0)
            {
                continue;
            }

            var used = pf.Vfs.Select(v => v.Id.Index).ToHashSet();
            used.UnionWith(reservations.TargetIndicesOn(pf.Id));
            var freeVf = Math.Max(0, pf.Descriptor.MaxVfs - used.Count);
            var migrationsUsed = Math.Max(pf.MigrationSlotsInUse, reservations.MigrationSlotsOn(pf.Id));
            var freeMigration = Math.Max(0, pf.Descriptor.MaxConcurrentMigrations - migrationsUsed);
            if (freeVf == 0)
            {
                rejections.Add(new(PlacementRejectionReasonCode.NoFreeVfSlot, $"no free VF slot: {used.Count} of {pf.Descriptor.MaxVfs} used or reserved", host.Id, pf.Id));
                continue;
            }

            if (queueForMigrationSlots)
            {
                freeMigration = freeVf;
            }

            if (freeMigration == 0)
            {
                rejections.Add(new(PlacementRejectionReasonCode.NoFreeMigrationSlot, $"no free migration slot: {migrationsUsed} of {pf.Descriptor.MaxConcurrentMigrations} in use or reserved", host.Id, pf.Id));
                continue;
            }

            var index = pfs.Count;
            pfs.Add((pf, Math.Min(freeVf, freeMigration), used));
            foreach (var i in compatibleFor)
            {
                candidates[i].Add(index);
            }
        }

        var unplaceable = Enumerable.Range(0, sources.Count).Where(i => candidates[i].Count == 0).ToList();
        if (unplaceable.Count > 0)
        {
            rejections.Add(new(PlacementRejectionReasonCode.WorkloadDoesNotFit,
                $"no PF on host '{host.Id}' can take {string.Join(", ", unplaceable.Select(i => sources[i].Vf.Id.ToString()))}", host.Id));
            return null;
        }

        // Preference: most free slots, then PF id (pfs is already in id order; the sort is stable).
        var order = Enumerable.Range(0, pfs.Count).OrderByDescending(p => pfs[p].Capacity).ToList();
        var rank = new int[pfs.Count];
        for (var r = 0; r < order.Count; r++)
        {
            rank[order[r]] = r;
        }

        foreach (var list in candidates)
        {
            list.Sort((a, b) => rank[a].CompareTo(rank[b]));
        }

        var assignment = Match(candidates, [.. pfs.Select(p => p.Capacity)]);
        if (assignment is null)
        {
            rejections.Add(new(PlacementRejectionReasonCode.WorkloadDoesNotFit,
                $"host '{host.Id}' has compatible PFs but not enough free slots for all {sources.Count} VFs of the workload at once", host.Id));
            return null;
        }

        var placements = new List<VfPlacement>(sources.Count);
        for (var i = 0; i < sources.Count; i++)
        {
            var (pf, _, used) = pfs[assignment[i]];
            var targetIndex = Enumerable.Range(0, pf.Descriptor.MaxVfs).First(n => !used.Contains(n));
            used.Add(targetIndex);
            var (vf, sourcePf) = sources[i];
            placements.Add(new VfPlacement(vf.Id, pf.Id.Vf(targetIndex), vf.Kind, vf.Profile, sourcePf.Descriptor.MigrationFlags, pf.Descriptor.MigrationFlags));
        }

        var score = pfs.Sum(p => p.Capacity);
        return (new PlacementTarget(sourceHost, host.Id, placements), score);
    }

    private static (PlacementRejectionReasonCode Code, string Detail)? CheckPfFor(VfInventory vf, PfInventory sourcePf, PfInventory pf, bool multi)
    {
        if (CompatibilityRules.CheckPf(sourcePf.Descriptor, pf.Descriptor) is { } problem)
        {
            return problem;
        }

        if (!pf.Descriptor.Profiles.Contains(vf.Profile))
        {
            return (PlacementRejectionReasonCode.ProfileNotOffered,
                $"profile '{vf.Profile}' not offered (offers {string.Join(", ", pf.Descriptor.Profiles)})");
        }

        if (multi && !pf.Descriptor.MigrationFlags.HasFlag(MigrationFlags.P2P))
        {
            return (PlacementRejectionReasonCode.TargetLacksP2P,
                $"multi-VF workload needs P2P on every device; target PF has flags {pf.Descriptor.MigrationFlags.Name()}");
        }

        return null;
    }

    // Kuhn's augmenting paths with capacities: VF i may use PF candidates[i][k] (in preference order).
    private static int[]? Match(List<List<int>> candidates, int[] capacity)
    {
        var assigned = new int[candidates.Count];
        Array.Fill(assigned, -1);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!Augment(i, new bool[capacity.Length], candidates, capacity, assigned))
            {
                return null;
            }
        }

        return assigned;
    }

    private static bool Augment(int vf, bool[] visited, List<List<int>> candidates, int[] capacity, int[] assigned)
    {
        foreach (var pf in candidates[vf])
        {
            if (visited[pf])
            {
                continue;
            }

            visited[pf] = true;
            var holders = Enumerable.Range(0, assigned.Length).Where(v => assigned[v] == pf).ToList();
            if (holders.Count < capacity[pf])
            {
                assigned[vf] = pf;
                return true;
            }

            foreach (var other in holders)
            {
                if (Augment(other, visited, candidates, capacity, assigned))
                {
                    assigned[vf] = pf;
                    return true;
                }
            }
        }

        return false;
    }
}
