using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Placement;

namespace Orchestrator.Domain.Tests.Placement;

public class WorkloadClaimsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly WorkloadId Vm1 = WorkloadId.Parse("vm-1");
    private static readonly VfId Vf0 = VfId.Parse("host-a/0000:3b:00.0/vf0");
    private static readonly VfId Vf1 = VfId.Parse("host-a/0000:3b:00.0/vf1");
    private static readonly MigrationId M1 = MigrationId.Parse("m-one");
    private static readonly MigrationId M2 = MigrationId.Parse("m-two");

    [Fact]
    public void A_second_migration_of_a_workload_is_refused_naming_the_first_until_it_is_released()
    {
        var claims = WorkloadClaims.Empty.Claim(new WorkloadClaim(M1, Vm1, [Vf0], T0));
        var second = new WorkloadClaim(M2, Vm1, [Vf0], T0);

        var refusal = claims.RefusalOf(second);
        Assert.NotNull(refusal);
        Assert.Contains("m-one", refusal, StringComparison.Ordinal);
        Assert.Equal(M1, claims.BlockerOf(second));
        Assert.Throws<InvalidOperationException>(() => claims.Claim(second));

        var released = claims.Release(M1);
        Assert.Null(released.RefusalOf(second));
        Assert.Equal(M2, released.Claim(second).Of(Vm1)!.Migration);
    }

    [Fact]
    public void The_holder_asking_again_is_granted_and_the_first_claim_stands()
    {
        var first = new WorkloadClaim(M1, Vm1, [Vf0], T0);
        var claims = WorkloadClaims.Empty.Claim(first);

        Assert.Null(claims.RefusalOf(first with { At = T0.AddSeconds(1) }));
        Assert.Same(claims, claims.Claim(first with { At = T0.AddSeconds(1) }));
        Assert.Equal(T0, claims.Of(Vm1)!.At);
    }

    [Fact]
    public void A_source_vf_held_by_one_migration_blocks_another_workload_naming_it()
    {
        // A label changed under a running migration: the VF is held, whatever workload the next request names.
        var claims = WorkloadClaims.Empty.Claim(new WorkloadClaim(M1, Vm1, [Vf0, Vf1], T0));
        var other = new WorkloadClaim(M2, WorkloadId.Parse("vm-2"), [Vf1], T0);

        Assert.Contains(Vf1.ToString(), claims.RefusalOf(other), StringComparison.Ordinal);
        Assert.Equal(M1, claims.HolderOf(Vf1));
        Assert.Null(claims.Release(M1).HolderOf(Vf1));
    }

    [Fact]
    public void Release_is_idempotent_and_frees_only_its_own_migration()
    {
        var claims = WorkloadClaims.Empty
            .Claim(new WorkloadClaim(M1, Vm1, [Vf0], T0))
            .Claim(new WorkloadClaim(M2, WorkloadId.Parse("vm-2"), [Vf1], T0));

        var once = claims.Release(M1);
        var twice = once.Release(M1);

        Assert.Equal(1, twice.Count);
        Assert.Equal(M2, twice.HolderOf(Vf1));
        Assert.Null(twice.HolderOf(Vf0));
        Assert.Same(once, twice);
    }
}
