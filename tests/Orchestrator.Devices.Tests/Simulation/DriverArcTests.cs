using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>Every (model, FROM, TO): the driver takes exactly the direct arcs of its flag set and opens streams as §1.4 says.</summary>
public class DriverArcTests
{
    public static TheoryData<string, MigrationFlags> ModelFlags() => new()
    {
        { "mlx5", MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy },
        { "hisi_acc", MigrationFlags.StopCopy | MigrationFlags.PreCopy },
        { "pds", MigrationFlags.StopCopy | MigrationFlags.P2P },
        { "virtio", MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy },
        { "nvme", MigrationFlags.StopCopy },
    };

    public static TheoryData<string, S, S> AllArcs()
    {
        var data = new TheoryData<string, S, S>();
        foreach (var model in DriverModels.All)
        {
            foreach (var from in VfioFsm.SupportedStates(model.Flags))
            {
                foreach (var to in VfioNames.AllStates)
                {
                    data.Add(model.Name, from, to);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelFlags))]
    public void Each_model_advertises_its_drivers_flags(string name, MigrationFlags expected)
    {
        Assert.True(DriverModels.TryGet(name, out var model));
        Assert.Equal(expected, model.Flags);
        Assert.Equal(expected, Sim.Pf(model).Descriptor.MigrationFlags);
    }

    [Theory]
    [MemberData(nameof(AllArcs))]
    public async Task Driver_takes_only_direct_arcs_and_opens_streams_where_the_uapi_says(string name, S from, S to)
    {
        DriverModels.TryGet(name, out var model);
        var pf = Sim.Pf(model);
        var vf = await Sim.NewVf(pf);
        await VfioDevice.SetStateAsync(pf, vf, from);
        Assert.Equal(from, pf.GetDeviceState(vf));

        if (!VfioFsm.IsDirectArc(model.Flags, from, to))
        {
            var refused = await Assert.ThrowsAsync<VfioException>(() => pf.SetDeviceStateAsync(vf, to));
            Assert.Equal(VfioErrno.EINVAL, refused.Errno);
            Assert.Equal(from, pf.GetDeviceState(vf));
            return;
        }

        if ((from, to) == (S.Resuming, S.Stop))
        {
            // Nothing was written: the load cannot validate, the VF goes to ERROR.
            var failed = await Assert.ThrowsAsync<VfioException>(() => pf.SetDeviceStateAsync(vf, to));
            Assert.Contains("incomplete", failed.Message, StringComparison.Ordinal);
            Assert.Equal(S.Error, pf.GetDeviceState(vf));
            return;
        }

        var stream = await pf.SetDeviceStateAsync(vf, to);
        Assert.Equal(to, pf.GetDeviceState(vf));
        var opens = (!VfioFsm.IsSavingState(from) && VfioFsm.IsSavingState(to)) || (from, to) == (S.Stop, S.Resuming);
        Assert.Equal(opens, stream is not null);
        if (stream is not null)
        {
            Assert.Equal(to != S.Resuming, stream.IsSaving);
        }
    }

    [Theory]
    [InlineData("mlx5")]
    [InlineData("virtio")]
    public async Task Stream_survives_moves_inside_the_saving_group_and_dies_when_the_vf_leaves_it(string name)
    {
        DriverModels.TryGet(name, out var model);
        var pf = Sim.Pf(model);
        var vf = await Sim.NewVf(pf);
        var stream = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        var buffer = new byte[4096];
        Assert.Equal(VfioReadStatus.Data, (await stream.ReadAsync(buffer)).Status);
        Assert.Null(await pf.SetDeviceStateAsync(vf, S.PreCopyP2P));
        Assert.Equal(VfioReadStatus.Data, (await stream.ReadAsync(buffer)).Status);
        Assert.Null(await pf.SetDeviceStateAsync(vf, S.StopCopy));
        Assert.Equal(VfioReadStatus.Data, (await stream.ReadAsync(buffer)).Status);
        Assert.Null(await pf.SetDeviceStateAsync(vf, S.Stop));
        var dead = await Assert.ThrowsAsync<VfioException>(async () => await stream.ReadAsync(buffer));
        Assert.Equal(VfioErrno.ENODEV, dead.Errno);
    }

    [Fact]
    public async Task Aborting_precopy_kills_the_stream_and_a_new_precopy_opens_a_fresh_one()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        var first = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        await VfioDevice.SetStateAsync(pf, vf, S.Running);
        Assert.Equal(VfioErrno.ENODEV, (await Assert.ThrowsAsync<VfioException>(async () => await first.ReadAsync(new byte[16]))).Errno);
        var second = (await VfioDevice.SetStateAsync(pf, vf, S.PreCopy))!;
        Assert.NotSame(first, second);
        Assert.Equal(VfioReadStatus.Data, (await second.ReadAsync(new byte[16])).Status);
    }

    [Fact]
    public async Task Stop_copy_back_to_pre_copy_is_refused_with_state_unchanged()
    {
        var pf = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(pf);
        await VfioDevice.SetStateAsync(pf, vf, S.StopCopy);
        var e = await Assert.ThrowsAsync<VfioException>(() => VfioDevice.SetStateAsync(pf, vf, S.PreCopy));
        Assert.Equal(VfioErrno.EINVAL, e.Errno);
        Assert.Equal(S.StopCopy, pf.GetDeviceState(vf));
    }

    [Theory]
    [InlineData("mlx5", "eth-full", VfKind.Vfio)]
    [InlineData("pds", "vf-nomig", VfKind.Vfio)]
    [InlineData("hisi_acc", "qm-nomig", VfKind.Vfio)]
    [InlineData("mlx5", "eth-migratable", VfKind.Kernel)]
    public async Task A_vf_without_migration_support_answers_ENOTTY_and_stays_running(string name, string profile, VfKind kind)
    {
        DriverModels.TryGet(name, out var model);
        var pf = Sim.Pf(model);
        var vf = await Sim.NewVf(pf, profile, kind);
        Assert.False(pf.GetVfInfo(vf).Migratable);
        foreach (var target in new[] { S.Stop, S.RunningP2P, S.StopCopy, S.PreCopy })
        {
            var e = await Assert.ThrowsAsync<VfioException>(() => pf.SetDeviceStateAsync(vf, target));
            Assert.Equal(VfioErrno.ENOTTY, e.Errno);
        }

        Assert.Equal(VfioErrno.ENOTTY, Assert.Throws<VfioException>(() => pf.GetStopCopySize(vf)).Errno);
        Assert.Equal(S.Running, pf.GetDeviceState(vf));
    }

    [Fact]
    public async Task Missing_vf_answers_ENOENT_and_destroy_is_idempotent()
    {
        var pf = Sim.Pf(DriverModels.Pds);
        Assert.Equal(VfioErrno.ENOENT, Assert.Throws<VfioException>(() => pf.GetDeviceState(3)).Errno);
        await pf.DestroyVfAsync(3);
        var vf = await Sim.NewVf(pf);
        await pf.DestroyVfAsync(vf);
        await pf.DestroyVfAsync(vf);
        Assert.Empty(pf.ListVfs());
    }
}
