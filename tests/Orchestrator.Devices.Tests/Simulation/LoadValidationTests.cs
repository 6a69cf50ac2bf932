using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>The target checks match data at the header and validates the whole stream on RESUMING→STOP.</summary>
public class LoadValidationTests
{
    public static TheoryData<string, string> HeaderMismatches() => new()
    {
        { "firmware", "firmware mismatch: stream '28.41.1000', target '28.39.2048'" },
        { "device type", "device type mismatch: stream 'ConnectX-7', target 'ConnectX-6 Dx'" },
        { "profile", "profile mismatch: stream 'eth-small', target 'eth-migratable'" },
        { "kind", "kind mismatch: stream 'Vfio', target 'Kernel'" },
        { "driver", "driver mismatch: stream 'mlx5', target 'nvme'" },
        { "psid", "driver match block: stream 'fw=28.41.1000;psid=MT_0000000838', target 'fw=28.41.1000;psid=MT_0000000891'" },
    };

    [Theory]
    [MemberData(nameof(HeaderMismatches))]
    public async Task Mlx5_target_rejects_an_incompatible_header_on_write_with_the_reason(string what, string reason)
    {
        var source = Sim.Pf(DriverModels.Mlx5, address: "0000:01:00.0", firmware: "28.41.1000", boardId: "MT_0000000838");
        var s = await Sim.NewVf(source, "eth-small");
        var target = what switch
        {
            "firmware" => Sim.Pf(DriverModels.Mlx5, firmware: "28.39.2048", boardId: "MT_0000000838"),
            "device type" => Sim.Pf(DriverModels.Mlx5, firmware: "28.41.1000", deviceType: "ConnectX-6 Dx", boardId: "MT_0000000838"),
            "driver" => Sim.Pf(DriverModels.Nvme, firmware: "28.41.1000", deviceType: "ConnectX-7"),
            "psid" => Sim.Pf(DriverModels.Mlx5, firmware: "28.41.1000", boardId: "MT_0000000891"),
            _ => Sim.Pf(DriverModels.Mlx5, firmware: "28.41.1000", boardId: "MT_0000000838"),
        };
        var t = what switch
        {
            "profile" => await Sim.NewVf(target, "eth-migratable"),
            "kind" => (await target.CreateVfAsync(VfKind.Kernel, ProfileId.Parse("eth-small"))).Index,
            _ => await Sim.NewVf(target),
        };
        if (what == "kind")
        {
            // A kernel-kind VF has no migration ops at all; the header check is what a vfio target would say.
            Assert.Equal(VfioErrno.ENOTTY, (await Assert.ThrowsAsync<VfioException>(() => VfioDevice.SetStateAsync(target, t, S.Resuming))).Errno);
            return;
        }

        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var e = await Assert.ThrowsAsync<VfioException>(() => Sim.Pump(saving, sink, 4096));
        Assert.Equal(VfioErrno.EINVAL, e.Errno);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(VfioErrno.ENODEV, (await Assert.ThrowsAsync<VfioException>(async () => await sink.WriteAsync(new byte[1]))).Errno);
        var load = await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
        Assert.Contains(reason, load.Message, StringComparison.Ordinal);
        Assert.Equal(S.Error, target.GetDeviceState(t));
    }

    [Theory]
    [InlineData("pds")]
    [InlineData("virtio")]
    public async Task Firmware_checked_on_restore_fails_resuming_to_stop_not_the_write(string name)
    {
        DriverModels.TryGet(name, out var model);
        var source = Sim.Pf(model, address: "0000:01:00.0", firmware: "1.60.0");
        var target = Sim.Pf(model, firmware: "1.58.0");
        var s = await Sim.NewVf(source);
        var t = await Sim.NewVf(target);
        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        Assert.Equal(VfioReadStatus.EndOfStream, (await Sim.Pump(saving, sink)).Last);
        var e = await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
        Assert.Equal(VfioErrno.EINVAL, e.Errno);
        Assert.Contains("firmware mismatch: stream '1.60.0', target '1.58.0'", e.Message, StringComparison.Ordinal);
        Assert.Equal(S.Error, target.GetDeviceState(t));
    }

    [Theory]
    [InlineData("qm-4qp", "qm-8qp", "HiSilicon SEC", "HiSilicon SEC", "iso-a", "iso-a", "profile mismatch")]
    [InlineData("qm-4qp", "qm-4qp", "HiSilicon SEC", "HiSilicon SEC", "iso-a", "iso-b", "que_iso_cfg")]
    [InlineData("qm-4qp", "qm-4qp", "HiSilicon SEC", "HiSilicon HPRE", "iso-a", "iso-a", "device type mismatch")]
    public async Task Hisi_acc_checks_its_match_block_as_soon_as_the_header_arrives(
        string sourceProfile, string targetProfile, string sourceType, string targetType, string sourceBoard, string targetBoard, string reason)
    {
        var source = Sim.Pf(DriverModels.HisiAcc, address: "0000:01:00.0", deviceType: sourceType, boardId: sourceBoard);
        var target = Sim.Pf(DriverModels.HisiAcc, deviceType: targetType, boardId: targetBoard);
        var s = await Sim.NewVf(source, sourceProfile);
        var t = await Sim.NewVf(target, targetProfile);
        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.PreCopy))!;
        var e = await Assert.ThrowsAsync<VfioException>(() => Sim.Pump(saving, sink));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    [InlineData(true, 40)]
    public async Task A_corrupted_chunk_is_caught_by_the_load_and_the_target_goes_to_error(bool onRead, int nth)
    {
        var source = Sim.Pf(DriverModels.Mlx5, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Mlx5);
        var s = await Sim.NewVf(source, "eth-small");
        var t = await Sim.NewVf(target, "eth-small");
        if (onRead)
        {
            source.Faults.CorruptRead(nth);
        }
        else
        {
            target.Faults.CorruptWrite(nth);
        }

        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        await Sim.Pump(saving, sink, 64 * 1024);
        var e = await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
        Assert.Contains("corrupt stream", e.Message, StringComparison.Ordinal);
        Assert.Equal(S.Error, target.GetDeviceState(t));
        Assert.Null(target.GetVfInfo(t).LastLoaded);
    }

    [Fact]
    public async Task A_truncated_stream_fails_the_load_as_incomplete()
    {
        var source = Sim.Pf(DriverModels.Pds, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Pds);
        var s = await Sim.NewVf(source);
        var t = await Sim.NewVf(target);
        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var (bytes, _) = await Sim.Drain(saving);
        await sink.WriteAsync(bytes.AsMemory(0, bytes.Length - 10));
        var e = await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
        Assert.Contains("incomplete stream", e.Message, StringComparison.Ordinal);
        Assert.Equal(S.Error, target.GetDeviceState(t));
    }

    [Theory]
    [InlineData(0u, VfioErrno.EOPNOTSUPP)]
    [InlineData(1u, null)]
    public async Task Unknown_tag_fails_when_mandatory_and_is_skipped_when_optional(uint flags, VfioErrno? errno)
    {
        var source = Sim.Pf(DriverModels.Nvme, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Nvme);
        var s = await Sim.NewVf(source);
        var t = await Sim.NewVf(target);
        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var (bytes, _) = await Sim.Drain(saving);
        var headerLength = (int)BitConverter.ToInt64(bytes, 0) + 16;
        await sink.WriteAsync(bytes.AsMemory(0, headerLength));
        var unknown = new byte[16 + 4];
        BitConverter.GetBytes(4L).CopyTo(unknown, 0);
        BitConverter.GetBytes(flags).CopyTo(unknown, 8);
        BitConverter.GetBytes(0x7777u).CopyTo(unknown, 12);
        if (errno is { } expected)
        {
            var e = await Assert.ThrowsAsync<VfioException>(async () => await sink.WriteAsync(unknown));
            Assert.Equal(expected, e.Errno);
            Assert.Contains("unknown mandatory record tag 0x7777", e.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
            Assert.Equal(S.Error, target.GetDeviceState(t));
        }
        else
        {
            await sink.WriteAsync(unknown);
            await sink.WriteAsync(bytes.AsMemory(headerLength));
            // The optional record is skipped but was not part of what the source hashed.
            var e = await Assert.ThrowsAsync<VfioException>(() => target.SetDeviceStateAsync(t, S.Stop));
            Assert.Contains("corrupt stream", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stream_written_in_odd_segments_loads_the_same_state()
    {
        var source = Sim.Pf(DriverModels.Virtio, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Virtio);
        var s = await Sim.NewVf(source);
        var t = await Sim.NewVf(target);
        var sink = (await VfioDevice.SetStateAsync(target, t, S.Resuming))!;
        var saving = (await VfioDevice.SetStateAsync(source, s, S.StopCopy))!;
        var (bytes, _) = await Sim.Drain(saving, 4093);
        for (var i = 0; i < bytes.Length; i += 7)
        {
            await sink.WriteAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)));
        }

        await target.SetDeviceStateAsync(t, S.Stop);
        Assert.Equal(source.GetVfInfo(s).StateDigest, target.GetVfInfo(t).StateDigest);
    }
}
