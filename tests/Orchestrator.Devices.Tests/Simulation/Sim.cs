using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>Builders and helpers shared by the simulation tests: instant latencies, a fake clock, stream pumps.</summary>
internal static class Sim
{
    public static SimulatedPfDriver Pf(
        DriverModel model,
        FakeTimeProvider? time = null,
        string address = "0000:3b:00.0",
        string? firmware = null,
        string? deviceType = null,
        ulong seed = 7,
        int? maxVfs = null,
        int? maxMigrations = null,
        double latencyScale = 0,
        MigrationFlags? flags = null,
        string? boardId = null) =>
        new(model, new SimulatedPfConfig(address, deviceType ?? DefaultDeviceType(model), firmware ?? "1.0.0")
        {
            Seed = seed,
            MaxVfs = maxVfs,
            MaxConcurrentMigrations = maxMigrations,
            LatencyScale = latencyScale,
            Flags = flags,
            BoardId = boardId,
        }, time ?? new FakeTimeProvider());

    public static string DefaultDeviceType(DriverModel model) => model.Name switch
    {
        "mlx5" => "ConnectX-7",
        "hisi_acc" => "HiSilicon SEC",
        "pds" => "Pensando DSC",
        "virtio" => "virtio-net",
        _ => "NVMe",
    };

    public static ProfileId MigratableProfile(DriverModel model) => model.Profiles.First(p => p.Migratable).Id;

    /// <summary>The smallest migratable profile, to keep tests fast.</summary>
    public static ProfileId SmallProfile(DriverModel model) =>
        model.Profiles.Where(p => p.Migratable).OrderBy(p => p.StateBytes).First().Id;

    public static async Task<int> NewVf(SimulatedPfDriver pf, string? profile = null, VfKind kind = VfKind.Vfio) =>
        (await pf.CreateVfAsync(kind, profile is null ? SmallProfile(pf.Model) : ProfileId.Parse(profile))).Index;

    /// <summary>Reads until the stream answers something other than data; returns the bytes and that final status.</summary>
    public static async Task<(byte[] Bytes, VfioReadStatus Last)> Drain(IVfioDataStream stream, int chunk = 1 << 20)
    {
        var output = new MemoryStream();
        var buffer = new byte[chunk];
        while (true)
        {
            var r = await stream.ReadAsync(buffer);
            if (r.Status != VfioReadStatus.Data)
            {
                return (output.ToArray(), r.Status);
            }

            output.Write(buffer, 0, r.BytesRead);
        }
    }

    /// <summary>Moves everything readable now from source to target; returns the status that ended it.</summary>
    public static async Task<(long Bytes, VfioReadStatus Last)> Pump(IVfioDataStream source, IVfioDataStream target, int chunk = 1 << 20)
    {
        var buffer = new byte[chunk];
        long total = 0;
        while (true)
        {
            var r = await source.ReadAsync(buffer);
            if (r.Status != VfioReadStatus.Data)
            {
                return (total, r.Status);
            }

            await target.WriteAsync(buffer.AsMemory(0, r.BytesRead));
            total += r.BytesRead;
        }
    }

    /// <summary>A whole migration at the device level: pre-copy (if any), stop-copy, load; returns nothing, asserts nothing.</summary>
    public static async Task Migrate(SimulatedPfDriver source, int sourceVf, SimulatedPfDriver target, int targetVf, FakeTimeProvider? time = null)
    {
        var sink = (await VfioDevice.SetStateAsync(target, targetVf, VfioDeviceState.Resuming))!;
        var flags = source.Descriptor.MigrationFlags;
        IVfioDataStream saving;
        if (flags.HasFlag(MigrationFlags.PreCopy))
        {
            saving = (await VfioDevice.SetStateAsync(source, sourceVf, VfioDeviceState.PreCopy))!;
            await Pump(saving, sink);
            time?.Advance(TimeSpan.FromMilliseconds(200));
            await Pump(saving, sink);
            await VfioDevice.SetStateAsync(source, sourceVf, VfioDeviceState.StopCopy);
        }
        else
        {
            saving = (await VfioDevice.SetStateAsync(source, sourceVf, VfioDeviceState.StopCopy))!;
        }

        var (_, last) = await Pump(saving, sink);
        Assert.Equal(VfioReadStatus.EndOfStream, last);
        await VfioDevice.SetStateAsync(target, targetVf, VfioDeviceState.Running);
        await VfioDevice.SetStateAsync(source, sourceVf, VfioDeviceState.Stop);
    }
}
