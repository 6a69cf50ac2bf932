using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Cluster.Migrations;

/// <summary>Messages of the placement authority (a cluster singleton).</summary>
public static class PlacementProtocol
{
    /// <summary>Choose a target and reserve it for a migration (idempotent: the same migration gets the same target).</summary>
    public sealed record PlaceMigration(MigrationId Migration, PlacementRequest Request) : IOrchestratorMessage;

    /// <summary>Which targets would fit, and why every other one was rejected; reserves nothing.</summary>
    public sealed record QueryPlacement(PlacementRequest Request) : IOrchestratorMessage;

    /// <summary>
    /// The answer to a placement: the target (reserved unless it was a query) or the rejections. <paramref name="Admitted"/>:
    /// the migration's admission was granted and written with its reservations, so it need not ask for it
    /// (<see cref="RequestAdmission"/> would be answered <see cref="Admitted"/> at once).
    /// </summary>
    public sealed record PlacementAnswer(MigrationId? Migration, PlacementResult Result, bool Admitted = false) : IOrchestratorMessage;

    /// <summary>
    /// Hold <paramref name="Workload"/> for <paramref name="Migration"/> until it ends (sent by its coordinator before it
    /// persists the request). Answered <see cref="WorkloadClaimGranted"/> — also to the holder asking again — or
    /// <see cref="WorkloadClaimRefused"/> naming the migration in flight.
    /// </summary>
    public sealed record ClaimWorkload(MigrationId Migration, WorkloadId Workload, IReadOnlyList<VfId> SourceVfs) : IOrchestratorMessage;

    /// <summary>The workload is held for the migration (the claim is written).</summary>
    public sealed record WorkloadClaimGranted(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>Another migration holds the workload or one of its VFs (<paramref name="HeldBy"/>), or a VF of it is being changed.</summary>
    public sealed record WorkloadClaimRefused(MigrationId Migration, WorkloadId Workload, MigrationId? HeldBy, string Reason, bool SourceMoved = false) : IOrchestratorMessage;

    /// <summary>
    /// An operator wants to create a VF on <paramref name="Pf"/> (at <paramref name="Index"/>, or at an index the authority
    /// picks) or to destroy the VF at <paramref name="Index"/> (<paramref name="Destroy"/>). Allowed only when no migration holds or has reserved that VF; while
    /// allowed (until <see cref="EndVfChange"/> or a short expiry) no migration may claim or reserve it.
    /// </summary>
    public sealed record BeginVfChange(PfId Pf, int? Index, bool Destroy) : IOrchestratorMessage;

    /// <summary>The change may go ahead on <paramref name="Vf"/> (for a create without an index: the index picked).</summary>
    public sealed record VfChangeAllowed(VfId Vf) : IOrchestratorMessage;

    /// <summary>The change may not go ahead: the reason names the migration that holds the VF, or why no index is free.</summary>
    public sealed record VfChangeRefused(PfId Pf, int? Index, MigrationId? HeldBy, string Reason) : IOrchestratorMessage;

    /// <summary>The operator's change of <paramref name="Vf"/> is over (whatever its outcome).</summary>
    public sealed record EndVfChange(VfId Vf) : IOrchestratorMessage;

    /// <summary>Wait until the cluster's and the hosts' concurrency limits admit the migration.</summary>
    public sealed record RequestAdmission(MigrationId Migration, HostId SourceHost, HostId TargetHost, IReadOnlyList<PfId> SourcePfs, IReadOnlyList<PfId> TargetPfs)
        : IOrchestratorMessage
    {
        /// <summary>The request for what <paramref name="request"/> asks (as <see cref="PlacementTarget.AdmissionFor"/> builds it).</summary>
        public static RequestAdmission Of(AdmissionRequest request) =>
            new(request.Migration, request.SourceHost, request.TargetHost, request.SourcePfs, request.TargetPfs);

        /// <summary>What the admission queue holds for it.</summary>
        public AdmissionRequest Entry => new(Migration, SourceHost, TargetHost, SourcePfs, TargetPfs);
    }

    /// <summary>The migration may start moving state.</summary>
    public sealed record Admitted(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>The migration waits behind others; <paramref name="Position"/> is its place, 1 next.</summary>
    public sealed record AdmissionQueued(MigrationId Migration, int Position) : IOrchestratorMessage;

    /// <summary>
    /// The migration ended: free its reservations and its admission. <paramref name="Committed"/>: it went forward, so
    /// its source VFs are gone and a request built on them is stale.
    /// </summary>
    public sealed record ReleaseMigration(MigrationId Migration, bool Committed = false) : IOrchestratorMessage;

    /// <summary>Its reservations are free.</summary>
    public sealed record MigrationReleased(MigrationId Migration) : IOrchestratorMessage;

    /// <summary>
    /// Answered with <see cref="AuthorityReady"/> once the authority places (its ledger recovered and the directory read);
    /// before that it waits like a placement would, so an unanswered probe means a placement would wait too.
    /// </summary>
    public sealed record ProbeReady : IOrchestratorMessage
    {
        public static ProbeReady Instance { get; } = new();
    }

    /// <summary>The answer to <see cref="ProbeReady"/>: the hosts the authority knows.</summary>
    public sealed record AuthorityReady(int Hosts) : IOrchestratorMessage;

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
