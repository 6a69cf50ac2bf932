using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>Per-PF limits, ERROR and reset, latencies on the injected clock, and every fault hook.</summary>
public class LimitsAndFaultsTests
{
    [Theory]
    [InlineData(S.PreCopy)]
    [InlineData(S.StopCopy)]
    [InlineData(S.Resuming)]
    public async Task Pf_refuses_more_migration_sessions_than_its_limit_with_EBUSY(S session)
    {
        var pf = Sim.Pf(DriverModels.Mlx5, maxMigrations: 2);
        var vfs = new[] { await Sim.NewVf(pf), await Sim.NewVf(pf), await Sim.NewVf(pf) };
        await VfioDevice.SetStateAsync(pf, vfs[0], session);
        await VfioDevice.SetStateAsync(pf, vfs[1], S.PreCopy);
        Assert.Equal(2, pf.ActiveMigrations);
        var start = session == S.PreCopy ? S.Running : S.Stop; // one arc away from the session
        await VfioDevice.SetStateAsync(pf, vfs[2], start);
        var e = await Assert.ThrowsAsync<VfioException>(() => VfioDevice.SetStateAsync(pf, vfs[2], session));
        Assert.Equal(VfioErrno.EBUSY, e.Errno);
        Assert.Equal(start, pf.GetDeviceState(vfs[2]));

        await pf.ResetAsync(vfs[0]);
        Assert.Equal(1, pf.ActiveMigrations);
        await VfioDevice.SetStateAsync(pf, vfs[2], session);
        Assert.Equal(2, pf.ActiveMigrations);
    }

    [Fact]
    public async Task Pf_refuses_more_vfs_than_max_vfs_and_bad_indexes()
    {
        var pf = Sim.Pf(DriverModels.Nvme, maxVfs: 2);
        await Sim.NewVf(pf);
        Assert.Equal(VfioErrno.EBUSY, (await Assert.ThrowsAsync<VfioException>(() => pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("ctrl-4k"), 0))).Errno);
        Assert.Equal(VfioErrno.EINVAL, (await Assert.ThrowsAsync<VfioException>(() => pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("ctrl-4k"), 2))).Errno);
        Assert.Equal(VfioErrno.EINVAL, (await Assert.ThrowsAsync<VfioException>(() => pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("no-such")))).Errno);
        await Sim.NewVf(pf);
        Assert.Equal(VfioErrno.EBUSY, (await Assert.ThrowsAsync<VfioException>(() => pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("ctrl-4k")))).Errno);
        Assert.Equal(2, pf.ListVfs().Count);
    }

    [Fact]
    public async Task Error_refuses_every_set_kills_the_stream_and_only_reset_leaves_it()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        pf.Faults.DropToError(vf);
        Assert.Equal(S.Error, pf.GetDeviceState(vf));
        Assert.Equal(0, pf.ActiveMigrations);
        Assert.Equal(VfioErrno.ENODEV, (await Assert.ThrowsAsync<VfioException>(async () => await stream.ReadAsync(new byte[8]))).Errno);
        foreach (var target in VfioNames.AllStates)
        {
            var e = await Assert.ThrowsAsync<VfioException>(() => pf.SetDeviceStateAsync(vf, target));
            Assert.Equal(VfioErrno.EINVAL, e.Errno);
        }

        await pf.ResetAsync(vf);
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
        Assert.NotNull(await VfioDevice.SetStateAsync(pf, vf, S.PreCopy));
    }

    [Fact]
    public async Task Failing_the_nth_command_of_a_kind_leaves_the_vf_in_error_mid_path()
    {
        var pf = Sim.Pf(DriverModels.Pds);
        var vf = await Sim.NewVf(pf);
        pf.Faults.FailCommand(DeviceCommand.Suspend, 2, VfioErrno.EIO);
        // RUNNING -> RUNNING_P2P (suspend #1) -> STOP (suspend #2 fails) -> STOP_COPY
        var e = await Assert.ThrowsAsync<VfioException>(() => VfioDevice.SetStateAsync(pf, vf, S.StopCopy));
        Assert.Equal(VfioErrno.EIO, e.Errno);
        Assert.Contains("RUNNING_P2P->STOP", e.Message, StringComparison.Ordinal);
        Assert.Equal(S.Error, pf.GetDeviceState(vf));
        await pf.ResetAsync(vf);
        await VfioDevice.SetStateAsync(pf, vf, S.StopCopy); // fired once only
    }

    [Fact]
    public async Task Failing_the_nth_command_of_any_kind_counts_every_command()
    {
        var pf = Sim.Pf(DriverModels.Nvme);
        pf.Faults.FailCommand(null, 3, VfioErrno.ENOTCONN);
        var vf = await Sim.NewVf(pf);                     // 1: create
        await pf.SetDeviceStateAsync(vf, S.Stop);         // 2: suspend
        var e = await Assert.ThrowsAsync<VfioException>(() => pf.SetDeviceStateAsync(vf, S.Resuming)); // 3
        Assert.Equal(VfioErrno.ENOTCONN, e.Errno);
        Assert.Equal(S.Error, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task A_failed_create_creates_nothing_and_a_failed_reset_stays_in_error()
    {
        var pf = Sim.Pf(DriverModels.HisiAcc);
        pf.Faults.FailCommand(DeviceCommand.CreateVf, 1, VfioErrno.ENOMEM);
        Assert.Equal(VfioErrno.ENOMEM, (await Assert.ThrowsAsync<VfioException>(() => pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("qm-4qp")))).Errno);
        Assert.Empty(pf.ListVfs());
        var vf = await Sim.NewVf(pf);
        pf.Faults.DropToError(vf);
        pf.Faults.FailCommand(DeviceCommand.Reset, 1, VfioErrno.EIO);
        await Assert.ThrowsAsync<VfioException>(() => pf.ResetAsync(vf));
        Assert.Equal(S.Error, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task Model_latency_runs_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Mlx5, time, latencyScale: 1);
        var create = pf.CreateVfAsync(VfKind.Vfio, ProfileId.Parse("eth-small"));
        Assert.False(create.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(39));
        Assert.False(create.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var vf = (await create).Index;

        var load = VfioDevice.SetStateAsync(pf, vf, S.RunningP2P);
        Assert.False(load.IsCompleted);
        time.Advance(DriverModels.Mlx5.Latencies.Suspend);
        await load;
    }

    [Fact]
    public async Task Added_latency_delays_only_its_command_kind()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Virtio, time);
        var vf = await Sim.NewVf(pf);
        pf.Faults.AddLatency(DeviceCommand.Resume, TimeSpan.FromSeconds(2));
        await pf.SetDeviceStateAsync(vf, S.RunningP2P); // suspend: instant
        var resume = pf.SetDeviceStateAsync(vf, S.Running);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(resume.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await resume;
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task Pds_suspend_completes_only_at_a_status_poll()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Pds, time, latencyScale: 1);
        var vf = pf.AddExistingVf(VfKind.Vfio, ProfileId.Parse("vf-default")).Index;
        pf.Faults.AddLatency(DeviceCommand.Suspend, TimeSpan.FromMilliseconds(2.5)); // 3 ms + 2.5 ms -> the 6th poll
        var suspend = pf.SetDeviceStateAsync(vf, S.RunningP2P);
        time.Advance(TimeSpan.FromMilliseconds(5.9));
        Assert.False(suspend.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(0.1));
        await suspend;
        Assert.Equal(S.RunningP2P, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task Pds_suspend_that_outlasts_its_poll_timeout_fails_ETIMEDOUT()
    {
        var time = new FakeTimeProvider();
        var pf = Sim.Pf(DriverModels.Pds, time);
        var vf = await Sim.NewVf(pf);
        pf.Faults.AddLatency(DeviceCommand.Suspend, TimeSpan.FromSeconds(30));
        var suspend = pf.SetDeviceStateAsync(vf, S.RunningP2P);
        time.Advance(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<VfioException>(() => suspend);
        Assert.Equal(VfioErrno.ETIMEDOUT, e.Errno);
        Assert.Equal(S.Error, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task A_hung_command_completes_only_when_released()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        var hang = pf.Faults.HangCommand(DeviceCommand.Save);
        var save = VfioDevice.SetStateAsync(pf, vf, S.PreCopy);
        await hang.Reached;
        Assert.False(save.IsCompleted);
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
        hang.Release();
        Assert.NotNull(await save);
        Assert.Equal(S.PreCopy, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task A_hung_command_is_cancelled_by_its_caller_and_leaves_the_state_and_slot_as_they_were()
    {
        var pf = Sim.Pf(DriverModels.Mlx5, maxMigrations: 1);
        var vf = await Sim.NewVf(pf);
        var hang = pf.Faults.HangCommand(null);
        using var cts = new CancellationTokenSource();
        var save = pf.SetDeviceStateAsync(vf, S.PreCopy, cts.Token);
        await hang.Reached;
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => save);
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
        Assert.NotNull(await pf.SetDeviceStateAsync(vf, S.PreCopy));
    }

    [Fact]
    public async Task A_reset_during_a_hung_command_wins_and_the_command_fails()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        await pf.SetDeviceStateAsync(vf, S.RunningP2P);
        var hang = pf.Faults.HangCommand(DeviceCommand.Suspend);
        var stop = pf.SetDeviceStateAsync(vf, S.Stop);
        await hang.Reached;
        await pf.ResetAsync(vf);
        hang.Release();
        Assert.Equal(VfioErrno.EIO, (await Assert.ThrowsAsync<VfioException>(() => stop)).Errno);
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task Destroying_a_migrating_vf_frees_its_session_and_kills_its_stream()
    {
        var pf = Sim.Pf(DriverModels.Mlx5, maxMigrations: 1);
        var vf = await Sim.NewVf(pf);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        await pf.DestroyVfAsync(vf);
        Assert.Equal(0, pf.ActiveMigrations);
        Assert.Equal(VfioErrno.ENODEV, (await Assert.ThrowsAsync<VfioException>(async () => await stream.ReadAsync(new byte[8]))).Errno);
        var again = await Sim.NewVf(pf);
        Assert.NotNull(await VfioDevice.SetStateAsync(pf, again, S.PreCopy));
    }
}
