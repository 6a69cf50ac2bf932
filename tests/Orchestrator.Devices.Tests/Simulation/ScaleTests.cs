using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>State is metadata only: a node can hold 100 000 small VFs, and a 256 MiB state is never materialized.</summary>
/// <remarks>Memory is measured, so these run alone (other tests' allocations would blur the figures).</remarks>
[Collection(SerialCollection.Name)]
public class ScaleTests
{
    [Fact]
    public void A_hundred_thousand_small_vfs_fit_in_little_memory()
    {
        var time = new FakeTimeProvider();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var pfs = new List<SimulatedPfDriver>();
        for (var p = 0; p < 1600; p++)
        {
            var pf = new SimulatedPfDriver(DriverModels.HisiAcc, new SimulatedPfConfig($"0000:{p / 256:x2}:{p % 256 / 8:x2}.{p % 8}", "HiSilicon SEC", "1") { LatencyScale = 0 }, time);
            for (var v = 0; v < 63; v++)
            {
                pf.AddExistingVf(VfKind.Vfio, ProfileId.Parse("qm-4qp"), v);
            }

            pfs.Add(pf);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(100_800, pfs.Sum(p => p.ListVfs().Count));
        Assert.True(after - before < 256L * 1024 * 1024, $"{(after - before) / (1024 * 1024)} MiB for 100 800 VFs");
        GC.KeepAlive(pfs);
    }

    [Fact]
    public async Task Saving_a_256_MiB_state_allocates_far_less_than_the_state()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf, "eth-migratable");
        var stream = (await VfioDevice.SetStateAsync(pf, vf, VfioDeviceState.StopCopy))!;
        var buffer = new byte[1 << 20];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        long total = 0;
        while ((await stream.ReadAsync(buffer)) is { Status: VfioReadStatus.Data } r)
        {
            total += r.BytesRead;
        }

        Assert.True(total > 256L * 1024 * 1024);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16L * 1024 * 1024);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"256 MiB took {watch.Elapsed}");
    }
}
