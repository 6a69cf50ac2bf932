using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Policies;

namespace Orchestrator.Domain.Tests.Policies;

public sealed class AdmissionQueueTests
{
    private static readonly ConcurrencyLimits Limits = new(PerHostOutbound: 2, PerHostInbound: 1, PerPf: 2, PerCluster: 3);

    private static AdmissionRequest Req(int n, int source, int target) =>
        new(MigrationId.Parse($"m-{n:000}"), HostId.Parse($"h{source}"), HostId.Parse($"h{target}"),
            [PfId.Parse($"h{source}/0000:3b:00.0")], [PfId.Parse($"h{target}/0000:3b:00.0")]);

    [Fact]
    public void Fifo_head_is_not_overtaken_by_an_entry_sharing_its_host()
    {
        var q = AdmissionQueue.Create(Limits).Enqueue(Req(1, 0, 1)).Enqueue(Req(2, 0, 1)).Enqueue(Req(3, 2, 3));
        var (q1, admitted) = q.Admit();
        Assert.Equal([MigrationId.Parse("m-001"), MigrationId.Parse("m-003")], admitted);
        Assert.Equal(0, q1.PositionOf(MigrationId.Parse("m-002")));
        var (q2, none) = q1.Enqueue(Req(4, 4, 1)).Admit();
        Assert.Empty(none); // m-004 needs h1 inbound, which m-002 waits for
        var (_, next) = q2.Release(MigrationId.Parse("m-001")).Admit();
        Assert.Equal([MigrationId.Parse("m-002")], next);
    }

    [Fact]
    public void Limits_validate_and_name_the_key()
    {
        var errors = new ConcurrencyLimits(0, 1, 1, -2).Validate();
        Assert.Contains("PerHostOutbound = 0", errors[0], StringComparison.Ordinal);
        Assert.Contains("PerCluster = -2", errors[1], StringComparison.Ordinal);
    }

    // Any interleaving of enqueue / admit / release never exceeds a limit, and admits in per-resource order.
    [Property(MaxTest = 200, EndSize = 80)]
    public Property No_interleaving_exceeds_any_limit(byte[] ops)
    {
        var q = AdmissionQueue.Create(Limits);
        var n = 0;
        foreach (var op in ops)
        {
            switch (op % 3)
            {
                case 0:
                    q = q.Enqueue(Req(n++, op % 4, (op / 4 % 3) + (op % 4 == (op / 4 % 3) ? 1 : 0)));
                    break;
                case 1:
                    q = q.Admit().Queue;
                    break;
                default:
                    if (q.Running.Count > 0)
                    {
                        q = q.Release(q.Running[op % q.Running.Count].Migration);
                    }

                    break;
            }

            Assert.True(q.Running.Count <= Limits.PerCluster);
            foreach (var r in q.Running)
            {
                Assert.True(q.OutboundOf(r.SourceHost) <= Limits.PerHostOutbound);
                Assert.True(q.InboundOf(r.TargetHost) <= Limits.PerHostInbound);
                Assert.All(r.Pfs, pf => Assert.True(q.OnPf(pf) <= Limits.PerPf));
            }
        }

        // Drains: releasing everything admits everything eventually.
        for (var i = 0; i < 200 && (q.Waiting.Count > 0 || q.Running.Count > 0); i++)
        {
            q = q.Admit().Queue;
            if (q.Running.Count > 0)
            {
                q = q.Release(q.Running[0].Migration);
            }
        }

        return (q.Waiting.Count == 0).ToProperty();
    }
}
