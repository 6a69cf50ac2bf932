using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>Read semantics, PRECOPY_INFO and the workload's dirtying (vfio-migration.md §1.7, §4.1 items 14, 18–20).</summary>
public class DataStreamTests
{
    [Fact]
    public async Task Pre_copy_answers_NoDataYet_when_drained_and_stop_copy_EndOfStream_forever()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Mlx5, time);
        var vf = await Sim.NewVf(pf);
        pf.SetDirtyRate(vf, 0);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        var (initial, last) = await Sim.Drain(stream);
        Assert.Equal(VfioReadStatus.NoDataYet, last);
        Assert.True(initial.Length > 16 * 1024 * 1024);
        Assert.Equal(VfioReadStatus.NoDataYet, (await stream.ReadAsync(new byte[64])).Status);

        await VfioDevice.SetStateAsync(pf, vf, S.StopCopy);
        var (final, end) = await Sim.Drain(stream);
        Assert.Equal(VfioReadStatus.EndOfStream, end);
        Assert.True(final.Length > 0); // the END record at least
        Assert.Equal(VfioReadStatus.EndOfStream, (await stream.ReadAsync(new byte[64])).Status);
        Assert.Equal(VfioReadStatus.EndOfStream, (await stream.ReadAsync(new byte[64])).Status);
    }

    [Fact]
    public async Task Precopy_info_is_only_valid_in_pre_copy_states()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        _ = stream.GetPreCopyInfo();
        await VfioDevice.SetStateAsync(pf, vf, S.PreCopyP2P);
        _ = stream.GetPreCopyInfo();
        await VfioDevice.SetStateAsync(pf, vf, S.StopCopy);
        Assert.Equal(VfioErrno.EINVAL, Assert.Throws<VfioException>(() => stream.GetPreCopyInfo()).Errno);
    }

    [Theory]
    [InlineData("mlx5")]
    [InlineData("virtio")]
    [InlineData("hisi_acc")]
    public async Task Initial_bytes_never_grow_and_dirty_bytes_start_at_zero(string name)
    {
        DriverModels.TryGet(name, out var model);
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(model, time);
        var vf = await Sim.NewVf(pf);
        pf.SetDirtyRate(vf, 1 << 20);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        var info = stream.GetPreCopyInfo();
        Assert.Equal(0, info.DirtyBytes);
        Assert.True(info.InitialBytes > 0);
        var previous = info.InitialBytes;
        var buffer = new byte[1000];
        while ((await stream.ReadAsync(buffer)).Status == VfioReadStatus.Data)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            var now = stream.GetPreCopyInfo();
            Assert.True(now.InitialBytes <= previous, $"initial_bytes grew from {previous} to {now.InitialBytes}");
            previous = now.InitialBytes;
            if (now.InitialBytes == 0)
            {
                break;
            }
        }

        Assert.Equal(0, previous);
    }

    [Fact]
    public async Task Mlx5_reports_dirty_pages_after_the_workload_runs_and_sends_them_again()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Mlx5, time);
        var vf = await Sim.NewVf(pf, "eth-small");
        pf.SetDirtyRate(vf, 4 << 20);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        await Sim.Drain(stream);
        Assert.Equal(new PreCopyInfo(0, 0), stream.GetPreCopyInfo());
        time.Advance(TimeSpan.FromSeconds(1)); // 4 MiB at 64 KiB pages: up to 64 pages dirtied
        var info = stream.GetPreCopyInfo();
        Assert.Equal(0, info.InitialBytes);
        Assert.InRange(info.DirtyBytes, 64 * 1024, 64 * (64 * 1024 + 32));
        var (bytes, last) = await Sim.Drain(stream);
        Assert.Equal(info.DirtyBytes, bytes.Length);
        Assert.Equal(VfioReadStatus.NoDataYet, last);
    }

    [Fact]
    public async Task Virtio_rereads_the_whole_context_after_any_change()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Virtio, time);
        var vf = await Sim.NewVf(pf, "net-mq");
        pf.SetDirtyRate(vf, 64 * 1024);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        var (all, _) = await Sim.Drain(stream);
        time.Advance(TimeSpan.FromSeconds(1)); // one page changes
        var info = stream.GetPreCopyInfo();
        var headerBytes = all.Length - (16 * (1024 * 64 + 32));
        Assert.Equal(all.Length - headerBytes, info.DirtyBytes);
    }

    [Fact]
    public async Task Hisi_acc_dirty_bytes_stay_zero_and_stop_copy_sends_the_whole_state_again()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.HisiAcc, time);
        var vf = await Sim.NewVf(pf);
        pf.SetDirtyRate(vf, 4096);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        await Sim.Drain(stream);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new PreCopyInfo(0, 0), stream.GetPreCopyInfo());
        await VfioDevice.SetStateAsync(pf, vf, S.StopCopy);
        var (final, last) = await Sim.Drain(stream);
        Assert.Equal(VfioReadStatus.EndOfStream, last);
        Assert.True(final.Length > 512, $"stop-copy moved {final.Length} bytes, less than the 512-byte state");
    }

    [Theory]
    [InlineData(S.Running, true)]
    [InlineData(S.RunningP2P, true)]
    [InlineData(S.PreCopy, true)]
    [InlineData(S.PreCopyP2P, true)]
    [InlineData(S.Stop, false)]
    [InlineData(S.StopCopy, false)]
    [InlineData(S.Resuming, false)]
    public async Task Workload_dirties_state_only_while_the_device_runs(S state, bool changes)
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Mlx5, time);
        var vf = await Sim.NewVf(pf, "eth-small");
        pf.SetDirtyRate(vf, 1 << 20);
        await VfioDevice.SetStateAsync(pf, vf, state);
        var before = pf.GetVfInfo(vf).StateDigest;
        time.Advance(TimeSpan.FromSeconds(1));
        var after = pf.GetVfInfo(vf).StateDigest;
        Assert.Equal(changes, before != after);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_state_and_the_same_bytes()
    {
        async Task<(UInt128, byte[])> Run(ulong seed)
        {
            var time = new FakeTimeProvider();
            var pf = Sim.Pf(DriverModels.Pds, time, seed: seed);
            var vf = await Sim.NewVf(pf);
            time.Advance(TimeSpan.FromSeconds(3));
            var stream = (await VfioDevice.SetStateAsync(pf, vf, S.StopCopy))!;
            var (bytes, _) = await Sim.Drain(stream, 777);
            return (pf.GetVfInfo(vf).StateDigest, bytes);
        }

        var a = await Run(11);
        var b = await Run(11);
        var c = await Run(12);
        Assert.Equal(a.Item1, b.Item1);
        Assert.Equal(a.Item2, b.Item2);
        Assert.NotEqual(a.Item1, c.Item1);
    }

    [Fact]
    public async Task Stop_copy_size_is_callable_in_every_state_and_covers_what_stop_copy_moves()
    {
        var pf = Sim.Pf(DriverModels.Nvme);
        var vf = await Sim.NewVf(pf);
        var estimate = pf.GetStopCopySize(vf);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.StopCopy))!;
        var (bytes, _) = await Sim.Drain(stream);
        Assert.Equal(estimate, bytes.Length);
        Assert.Equal(0, pf.GetStopCopySize(vf));
        await VfioDevice.SetStateAsync(pf, vf, S.Stop);
        Assert.Equal(estimate, pf.GetStopCopySize(vf));
    }

    [Fact]
    public async Task Reads_and_writes_on_other_threads_run_while_commands_go_to_other_vfs()
    {
        var source = Sim.Pf(DriverModels.Mlx5, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Mlx5, address: "0000:02:00.0");
        var s0 = await Sim.NewVf(source);
        var t0 = await Sim.NewVf(target);
        var sink = (await VfioDevice.SetStateAsync(target, t0, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s0, S.StopCopy))!;
        var pump = Task.Run(() => Sim.Pump(saving, sink, 64 * 1024));
        for (var i = 0; i < 8; i++)
        {
            var other = await Sim.NewVf(source);
            await VfioDevice.SetStateAsync(source, other, S.Stop);
            await VfioDevice.SetStateAsync(source, other, S.Running);
            await source.DestroyVfAsync(other);
        }

        var (_, last) = await pump;
        Assert.Equal(VfioReadStatus.EndOfStream, last);
        await VfioDevice.SetStateAsync(target, t0, S.Stop);
        Assert.Equal(source.GetVfInfo(s0).StateDigest, target.GetVfInfo(t0).StateDigest);
    }
}
