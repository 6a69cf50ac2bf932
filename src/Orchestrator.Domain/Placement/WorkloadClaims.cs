using System.Collections.Immutable;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Placement;

/// <summary>
/// One migration per workload, cluster-wide (DESIGN.md §4, invariant 6): the claims the placement authority holds,
/// immutable. A claim is granted only when neither the workload nor any of its source VFs is held by another
/// migration, and again (idempotently) to the migration that holds it; it ends when that migration is terminal.
/// </summary>
public sealed class WorkloadClaims
{
    private readonly ImmutableDictionary<WorkloadId, WorkloadClaim> _byWorkload;
    private readonly ImmutableDictionary<VfId, MigrationId> _byVf;

    private WorkloadClaims(ImmutableDictionary<WorkloadId, WorkloadClaim> byWorkload, ImmutableDictionary<VfId, MigrationId> byVf)
    {
        _byWorkload = byWorkload;
        _byVf = byVf;
    }

    /// <summary>No claims.</summary>
    public static WorkloadClaims Empty { get; } = new(ImmutableDictionary<WorkloadId, WorkloadClaim>.Empty, ImmutableDictionary<VfId, MigrationId>.Empty);

    /// <summary>Every claim, by workload.</summary>
    public IReadOnlyCollection<WorkloadClaim> All => [.. _byWorkload.Values.OrderBy(c => c.Workload)];

    /// <summary>The number of claims held (one per workload that migrates).</summary>
    public int Count => _byWorkload.Count;

    /// <summary>The claim on <paramref name="workload"/>, or null.</summary>
    public WorkloadClaim? Of(WorkloadId workload) => _byWorkload.GetValueOrDefault(workload);

    /// <summary>The migration that holds <paramref name="vf"/> as a source, or null.</summary>
    public MigrationId? HolderOf(VfId vf) => _byVf.TryGetValue(vf, out var migration) ? migration : null;

    /// <summary>The claim of <paramref name="migration"/>, or null.</summary>
    public WorkloadClaim? OfMigration(MigrationId migration) => _byWorkload.Values.FirstOrDefault(c => c.Migration == migration);

    /// <summary>
    /// Why <paramref name="claim"/> cannot be granted now (the other migration named), or null when it can: the
    /// workload and its VFs are free, or already held by the same migration.
    /// </summary>
    public string? RefusalOf(WorkloadClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (_byWorkload.TryGetValue(claim.Workload, out var held) && held.Migration != claim.Migration)
        {
            return $"workload '{claim.Workload}' is already migrating: migration {held.Migration} holds it until it ends";
        }

        foreach (var vf in claim.SourceVfs)
        {
            if (_byVf.TryGetValue(vf, out var holder) && holder != claim.Migration)
            {
                return $"VF {vf} of workload '{claim.Workload}' is held by migration {holder} until it ends";
            }
        }

        return null;
    }

    /// <summary>The migration that would block <paramref name="claim"/>, or null (see <see cref="RefusalOf"/>).</summary>
    public MigrationId? BlockerOf(WorkloadClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (_byWorkload.TryGetValue(claim.Workload, out var held) && held.Migration != claim.Migration)
        {
            return held.Migration;
        }

        return claim.SourceVfs.Select(HolderOf).FirstOrDefault(h => h is { } m && m != claim.Migration);
    }

    /// <summary>A copy holding <paramref name="claim"/>; throws when another migration holds it (<see cref="RefusalOf"/> first).</summary>
    public WorkloadClaims Claim(WorkloadClaim claim)
    {
        if (RefusalOf(claim) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        if (_byWorkload.TryGetValue(claim.Workload, out var held) && held.Migration == claim.Migration)
        {
            return this; // The same migration again: the first claim stands.
        }

        var byVf = _byVf;
        foreach (var vf in claim.SourceVfs)
        {
            byVf = byVf.SetItem(vf, claim.Migration);
        }

        return new(_byWorkload.SetItem(claim.Workload, claim), byVf);
    }

    /// <summary>A copy without the claim of <paramref name="migration"/> (idempotent).</summary>
    public WorkloadClaims Release(MigrationId migration)
    {
        if (OfMigration(migration) is not { } claim)
        {
            return this;
        }

        var byVf = _byVf;
        foreach (var vf in claim.SourceVfs.Where(v => byVf.TryGetValue(v, out var m) && m == migration))
        {
            byVf = byVf.Remove(vf);
        }

        return new(_byWorkload.Remove(claim.Workload), byVf);
    }
}
