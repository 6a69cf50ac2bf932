using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;

namespace Orchestrator.Cluster.Migrations;

/// <summary>Messages of the placement authority (a cluster singleton).</summary>
public static class PlacementProtocol
{
    /// <summary>Choose a target and reserve it for a migration (idempotent: the same migration gets the same target).</summary>
    public sealed record PlaceMigration(MigrationId Migration, PlacementRequest Request) : IOrchestratorMessage;

    /// <summary>Which targets would fit, and why every other one was rejected; reserves nothing.</summary>
    public sealed record QueryPlacement(PlacementRequest Request) : IOrchestratorMessage;

    /// <summary>The answer to a placement: the target (reserved unless it was a query) or the rejections.</summary>
    public sealed record PlacementAnswer(MigrationId? Migration, PlacementResult Result) : IOrchestratorMessage;

    /// <summary>Wait until the cluster's and the hosts' concurrency limits admit the migration.</summary>
    public sealed record RequestAdmission(MigrationId Migration, HostId SourceHost, HostId TargetHost, IReadOnlyList<PfId> SourcePfs, IReadOnlyList<PfId> TargetPfs)
        : IOrchestratorMessage;

    /// <summary>The migration may start moving state.</summary>
    public sealed record Admitted(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>The migration waits behind others.</summary>
    public sealed record AdmissionQueued(MigrationId Migration, int Position) : IOrchestratorMessage;

    /// <summary>The migration ended: free its reservations and its admission.</summary>
    public sealed record ReleaseMigration(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>Its reservations are free.</summary>
    public sealed record MigrationReleased(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>What the ledger holds now, per migration (the host reconcilers compare it with the migration index).</summary>
    public sealed record GetLedger : IOrchestratorMessage
    {
        public static GetLedger Instance { get; } = new();
    }

    /// <summary>One migration's holdings: reservations (and the hosts they are on) and whether it counts as admitted.</summary>
    public sealed record LedgerHolding(MigrationId Migration, IReadOnlyList<HostId> Hosts, int Reservations, bool Admitted) : IOrchestratorMessage;

    /// <summary>The answer to <see cref="GetLedger"/>.</summary>
    public sealed record LedgerHoldings(IReadOnlyList<LedgerHolding> Holdings) : IOrchestratorMessage;
}
