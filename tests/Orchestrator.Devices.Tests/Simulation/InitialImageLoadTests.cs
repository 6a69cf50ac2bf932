using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>
/// mlx5 loads an image in the write() that completes it, so a target that got the first whole image during pre-copy
/// has done most of LOAD before the downtime starts (what switchover-ack waits for), and RESUMING→STOP loads the rest.
/// </summary>
public class InitialImageLoadTests
{
    private static readonly CommandLatencies Mlx5 = DriverModels.Mlx5.Latencies;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task A_pre_copied_first_image_is_loaded_by_the_write_that_completes_it_and_RESUMING_to_STOP_loads_only_the_rest()
    {
        var (source, s, target, t, time) = await Pair();
        var sink = await Resuming(target, t, time);
        var saving = (await VfioDevice.SetStateAsync(source, s, S.PreCopy))!;
        var (initial, last) = await Sim.Drain(saving);
        Assert.Equal(VfioReadStatus.NoDataYet, last); // the first image, read whole

        await WriteExpectingOneLoad(sink, initial, Mlx5.InitialLoad, time);

        await VfioDevice.SetStateAsync(source, s, S.StopCopy);
        var (rest, end) = await Sim.Drain(saving);
        Assert.Equal(VfioReadStatus.EndOfStream, end);
        await WriteExpectingOneLoad(sink, rest, TimeSpan.Zero, time); // the first image is in: no write waits

        await Takes(Mlx5.Load - Mlx5.InitialLoad, () => target.SetDeviceStateAsync(t, S.Stop), time);
        Assert.Equal(source.GetVfInfo(s).LastSaved!.StateDigest, target.GetVfInfo(t).LastLoaded!.StateDigest);
    }

    [Fact]
    public async Task A_stop_and_copy_stream_costs_the_whole_load_part_in_its_writes_part_at_RESUMING_to_STOP()
    {
        var (source, s, target, t, time) = await Pair();
        var sink = await Resuming(target, t, time);
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var (all, last) = await Sim.Drain(saving);
        Assert.Equal(VfioReadStatus.EndOfStream, last);

        await WriteExpectingOneLoad(sink, all, Mlx5.InitialLoad, time);
        await Takes(Mlx5.Load - Mlx5.InitialLoad, () => target.SetDeviceStateAsync(t, S.Stop), time);
        Assert.Equal(Mlx5.Load, Mlx5.InitialLoad + Mlx5.LoadAfterInitialImage); // the device's work is the same, only earlier
    }

    [Fact]
    public async Task A_model_without_an_initial_load_loads_everything_at_RESUMING_to_STOP()
    {
        var time = new FakeTimeProvider();
        var source = Sim.Pf(DriverModels.Pds, time, "0000:01:00.0", seed: 1);
        var target = Sim.Pf(DriverModels.Pds, time, "0000:02:00.0", seed: 2, latencyScale: 1);
        var s = await Sim.NewVf(source);
        var t = target.AddExistingVf(VfKind.Vfio, Sim.SmallProfile(DriverModels.Pds)).Index;
        var sink = await Resuming(target, t, time);
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var (all, _) = await Sim.Drain(saving);

        await WriteExpectingOneLoad(sink, all, TimeSpan.Zero, time);
        await Takes(DriverModels.Pds.Latencies.Load, () => target.SetDeviceStateAsync(t, S.Stop), time);
    }

    private static async Task<(SimulatedPfDriver Source, int S, SimulatedPfDriver Target, int T, FakeTimeProvider Time)> Pair()
    {
        var time = new FakeTimeProvider();
        var source = Sim.Pf(DriverModels.Mlx5, time, "0000:01:00.0", seed: 1); // instant: only the target's times count
        var target = Sim.Pf(DriverModels.Mlx5, time, "0000:02:00.0", seed: 2, latencyScale: 1);
        var s = await Sim.NewVf(source, "eth-small");
        var t = target.AddExistingVf(VfKind.Vfio, ProfileId.Parse("eth-small")).Index;
        return (source, s, target, t, time);
    }

    private static async Task<IVfioDataStream> Resuming(SimulatedPfDriver target, int t, FakeTimeProvider time)
    {
        var stop = VfioDevice.SetStateAsync(target, t, S.Stop); // RUNNING → RUNNING_P2P → STOP, one arc after the other
        while (!stop.IsCompleted)
        {
            time.Advance(Tick);
            await Task.Delay(1);
        }

        await stop;
        IVfioDataStream? sink = null;
        await Takes(target.Model.Latencies.PrepareLoad, async () => sink = await target.SetDeviceStateAsync(t, S.Resuming), time);
        return sink!;
    }

    /// <summary>Writes in 1 MiB pieces; at most one write may wait, for exactly <paramref name="load"/>.</summary>
    private static async Task WriteExpectingOneLoad(IVfioDataStream sink, byte[] bytes, TimeSpan load, FakeTimeProvider time)
    {
        var waited = 0;
        for (var at = 0; at < bytes.Length; at += 1 << 20)
        {
            var write = sink.WriteAsync(bytes.AsMemory(at, Math.Min(1 << 20, bytes.Length - at))).AsTask();
            if (!write.IsCompleted)
            {
                waited++;
                await Takes(load, () => write, time);
            }

            await write;
        }

        Assert.Equal(load > TimeSpan.Zero ? 1 : 0, waited);
    }

    /// <summary>Starts <paramref name="start"/> and checks it ends when the fake clock reaches <paramref name="expected"/>, not a tick before.</summary>
    private static async Task Takes(TimeSpan expected, Func<Task> start, FakeTimeProvider time)
    {
        var task = start();
        if (expected > Tick)
        {
            time.Advance(expected - Tick);
            await Task.Yield();
            Assert.False(task.IsCompleted, $"done before {expected.TotalMilliseconds} ms");
            time.Advance(Tick);
        }
        else
        {
            time.Advance(expected);
        }

        await task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
