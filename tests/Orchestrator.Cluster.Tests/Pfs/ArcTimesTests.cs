using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Cluster.Tests.Pfs;

public class ArcTimesTests
{
    private const MigrationFlags Mlx5 = MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy;

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Nothing_measured_predicts_zero()
    {
        Assert.Equal(TimeSpan.Zero, new ArcTimes().Estimate(Mlx5, S.PreCopy, S.StopCopy));
    }

    [Fact]
    public void A_path_costs_the_median_of_each_of_its_arcs()
    {
        var arcs = new ArcTimes();
        arcs.Record(S.PreCopy, S.PreCopyP2P, Ms(3));
        arcs.Record(S.PreCopyP2P, S.StopCopy, Ms(20));
        arcs.Record(S.PreCopyP2P, S.StopCopy, Ms(22));
        arcs.Record(S.PreCopyP2P, S.StopCopy, Ms(500)); // one outlier does not move the median

        Assert.Equal(Ms(22), arcs.Of(S.PreCopyP2P, S.StopCopy));
        Assert.Equal(Ms(25), arcs.Estimate(Mlx5, S.PreCopy, S.StopCopy)); // the kernel's path goes through PRE_COPY_P2P
        Assert.Equal(TimeSpan.Zero, arcs.Estimate(Mlx5, S.StopCopy, S.StopCopy));
    }

    [Fact]
    public void An_arc_never_run_counts_as_a_typical_arc_of_the_device()
    {
        var arcs = new ArcTimes();
        arcs.Record(S.Stop, S.Resuming, Ms(30));
        arcs.Record(S.Running, S.RunningP2P, Ms(3));
        arcs.Record(S.RunningP2P, S.Stop, Ms(5));
        arcs.Record(S.Running, S.PreCopy, Ms(400)); // one slow arc does not make the unknown ones slow

        // RESUMING→STOP, STOP→RUNNING_P2P and RUNNING_P2P→RUNNING never ran here: the median arc (17.5 ms) each.
        Assert.Equal(Ms(52.5), arcs.Estimate(Mlx5, S.Resuming, S.Running));
        Assert.Null(arcs.Of(S.Resuming, S.Stop));
    }

    [Fact]
    public void Only_the_last_window_of_runs_counts()
    {
        var arcs = new ArcTimes();
        for (var i = 0; i < ArcTimes.Window; i++)
        {
            arcs.Record(S.Resuming, S.Stop, Ms(100));
        }

        for (var i = 0; i < ArcTimes.Window; i++)
        {
            arcs.Record(S.Resuming, S.Stop, Ms(10)); // the device got faster: the old runs are forgotten
        }

        Assert.Equal(Ms(10), arcs.Of(S.Resuming, S.Stop));
    }
}
