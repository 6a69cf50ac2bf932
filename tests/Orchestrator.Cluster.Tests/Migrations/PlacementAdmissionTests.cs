using Akka.Actor;
using Akka.DistributedData;
using Orchestrator.Cluster.Migrations;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;
using Orchestrator.Domain.Policies;
using Orchestrator.Testing;
using P = Orchestrator.Cluster.Migrations.PlacementProtocol;

namespace Orchestrator.Cluster.Tests.Migrations;

/// <summary>
/// The placement authority queues a placed migration's admission with its reservations (issue 16): when the limits
/// allow it, the grant is written in the same journal write and the placement answer says so, so that the
/// coordinator neither asks nor waits for a second write. Asking anyway, asking twice, or a placement that comes late
/// must not change what the limits admit.
/// </summary>
public sealed class PlacementAdmissionTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly WorkloadId Vm2 = WorkloadId.Parse("vm-2");
    private static readonly PfId SourcePf = PfId.Parse("host-a/0000:3b:00.0");

    private readonly ActorSystem _system = StandaloneSystem.Create("admission");

    public async ValueTask DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task A_placement_the_limits_admit_is_answered_admitted_and_asking_again_is_answered_at_once()
    {
        var authority = await AuthorityAsync(ConcurrencyLimits.Default);
        var m1 = MigrationId.Parse("m-admit-1");

        var placed = await ClaimAndPlaceAsync(authority, m1, Vm1, 0);

        Assert.True(placed.Admitted, "the limits admit it, so the answer should say it is admitted");
        Assert.True((await HoldingOf(authority, m1)).Admitted);
        Assert.IsType<P.Admitted>(await authority.Ask<object>(Admission(m1, placed), Timeout));

        // The same placement again (a retry) gets the same target and the same answer, and takes no second slot.
        var again = await authority.Ask<P.PlacementAnswer>(new P.PlaceMigration(m1, Request(Vm1, 0)), Timeout);
        Assert.Equal((placed.Result.Target, true), (again.Result.Target, again.Admitted));
        var ledger = await authority.Ask<P.LedgerHoldings>(P.GetLedger.Instance, Timeout);
        Assert.Single(ledger.Holdings, h => h.Admitted);
    }

    [Fact]
    public async Task A_placement_the_limits_hold_back_is_queued_and_admitted_when_the_one_before_it_ends()
    {
        var authority = await AuthorityAsync(new ConcurrencyLimits(PerCluster: 1));
        var m1 = MigrationId.Parse("m-admit-first");
        var m2 = MigrationId.Parse("m-admit-second");
        Assert.True((await ClaimAndPlaceAsync(authority, m1, Vm1, 0)).Admitted);

        var second = await ClaimAndPlaceAsync(authority, m2, Vm2, 1);

        Assert.False(second.Admitted, "one migration at a time: the second must wait");
        Assert.False((await HoldingOf(authority, m2)).Admitted);
        var probe = new Akka.TestKit.Xunit2.TestKit(_system);
        authority.Tell(Admission(m2, second), probe.TestActor);
        Assert.Equal(1, probe.ExpectMsg<P.AdmissionQueued>(Timeout).Position);

        authority.Tell(new P.ReleaseMigration(m1), probe.TestActor);
        probe.ExpectMsg<P.MigrationReleased>(Timeout);
        Assert.Equal(m2, probe.ExpectMsg<P.Admitted>(Timeout).Migration);
    }

    [Fact]
    public async Task Late_requests_of_an_ended_migration_take_no_admission()
    {
        var authority = await AuthorityAsync(new ConcurrencyLimits(PerCluster: 1));
        var ended = MigrationId.Parse("m-admit-ended");
        var placed = await ClaimAndPlaceAsync(authority, ended, Vm1, 0);
        Assert.True(placed.Admitted);
        await authority.Ask<P.MigrationReleased>(new P.ReleaseMigration(ended), Timeout);

        // Its admission request again, after it ended (an earlier incarnation's retry that was late): it holds neither
        // a claim nor reservations, so it is not admitted. The ledger, asked next, answers after it was handled.
        var probe = new Akka.TestKit.Xunit2.TestKit(_system);
        authority.Tell(Admission(ended, placed), probe.TestActor);
        Assert.DoesNotContain((await authority.Ask<P.LedgerHoldings>(P.GetLedger.Instance, Timeout)).Holdings, h => h.Migration == ended);

        // Its placement request again: its claim is gone, so it is not admitted either (the reservations it makes
        // again are the reconciler's to free), and the only admission there is stays free for the next migration.
        var late = await authority.Ask<P.PlacementAnswer>(new P.PlaceMigration(ended, Request(Vm1, 0)), Timeout);
        Assert.False(late.Admitted);
        Assert.False((await HoldingOf(authority, ended)).Admitted);
        Assert.True((await ClaimAndPlaceAsync(authority, MigrationId.Parse("m-admit-next"), Vm2, 1)).Admitted);
        probe.ExpectNoMsg(TimeSpan.Zero); // the late admission request was answered nothing: neither Admitted nor Queued
    }

    private async Task<IActorRef> AuthorityAsync(ConcurrencyLimits limits)
    {
        var replicator = DistributedData.Get(_system).Replicator;
        await PlacementReadinessTests.PublishAsync(_system, replicator, "host-a", Vm1, Vm2);
        await PlacementReadinessTests.PublishAsync(_system, replicator, "host-b");
        var authority = _system.ActorOf(PlacementAuthority.Props(limits, TimeProvider.System));
        Assert.Equal(2, (await authority.Ask<P.AuthorityReady>(P.ProbeReady.Instance, Timeout)).Hosts);
        return authority;
    }

    private static PlacementRequest Request(WorkloadId workload, int index) => new(workload, [SourcePf.Vf(index)], HostId.Parse("host-b"));

    private static async Task<P.PlacementAnswer> ClaimAndPlaceAsync(IActorRef authority, MigrationId migration, WorkloadId workload, int index)
    {
        await authority.Ask<P.WorkloadClaimGranted>(new P.ClaimWorkload(migration, workload, [SourcePf.Vf(index)]), Timeout);
        var answer = await authority.Ask<P.PlacementAnswer>(new P.PlaceMigration(migration, Request(workload, index)), Timeout);
        Assert.True(answer.Result.IsPlaced, answer.Result.Explain());
        return answer;
    }

    /// <summary>What the coordinator asks after a placement, built as its <c>AwaitAdmission</c> step builds it.</summary>
    private static P.RequestAdmission Admission(MigrationId migration, P.PlacementAnswer placed) =>
        P.RequestAdmission.Of(placed.Result.Target!.AdmissionFor(migration));

    private static async Task<P.LedgerHolding> HoldingOf(IActorRef authority, MigrationId migration) =>
        Assert.Single((await authority.Ask<P.LedgerHoldings>(P.GetLedger.Instance, Timeout)).Holdings, h => h.Migration == migration);
}
