using Akka.Actor;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cluster.Migrations;

/// <summary>Timing of the placement authority's workload claims, operator VF changes and directory reads, with their defaults.</summary>
public sealed record PlacementAuthoritySettings
{
    /// <summary>The migration shard region, asked after claims that look abandoned (none: claims are never swept).</summary>
    public IActorRef? Migrations { get; init; }

    /// <summary>How often claims are looked over.</summary>
    public TimeSpan ClaimSweepInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How old a claim must be before its migration is asked after: far longer than a request's write takes, so a
    /// claim whose request is still being written is never freed under it.
    /// </summary>
    public TimeSpan ClaimCheckAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the sweep waits for a coordinator's answer.</summary>
    public TimeSpan ClaimCheckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Events between two snapshots of the ledger; the events before a snapshot are deleted once it is stored. Recovery
    /// then reads one snapshot (the migrations in flight) and fewer than this many events.
    /// </summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>How long an operator's VF create or delete holds its VF at most (a client that died frees it then).</summary>
    public TimeSpan VfChangeExpiry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a VF released by a migration that went forward is remembered: a claim naming it was built from an
    /// inventory read before the migration ended, and is refused as such rather than as a missing VF.
    /// </summary>
    public TimeSpan SettleFor { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long, after recovery, placement waits for the replicated directory before it answers from what it has.</summary>
    public TimeSpan InventoryWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The majority read of the directory before a placement says a host or VF does not exist.</summary>
    public TimeSpan DirectoryReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Every problem, each naming the setting and its value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingChecks.Positive(errors, "PlacementAuthoritySettings.ClaimSweepInterval", ClaimSweepInterval);
        SettingChecks.Positive(errors, "PlacementAuthoritySettings.ClaimCheckAfter", ClaimCheckAfter);
        SettingChecks.Positive(errors, "PlacementAuthoritySettings.ClaimCheckTimeout", ClaimCheckTimeout);
        SettingChecks.AtLeast(errors, "PlacementAuthoritySettings.SnapshotEvery", SnapshotEvery, 1);
        SettingChecks.Positive(errors, "PlacementAuthoritySettings.VfChangeExpiry", VfChangeExpiry);
        SettingChecks.NotNegative(errors, "PlacementAuthoritySettings.SettleFor", SettleFor);
        SettingChecks.NotNegative(errors, "PlacementAuthoritySettings.InventoryWait", InventoryWait);
        SettingChecks.Positive(errors, "PlacementAuthoritySettings.DirectoryReadTimeout", DirectoryReadTimeout);
        return errors;
    }
}
