using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Devices.Tests.Simulation;

public class MigrationRoundTripTests
{
    public static TheoryData<string> Models() => new(DriverModels.All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Target_state_after_load_is_byte_identical_to_what_the_source_saved(string name)
    {
        DriverModels.TryGet(name, out var model);
        var time = new FakeTimeProvider();
        var source = Sim.Pf(model, time, "0000:01:00.0", seed: 1);
        var target = Sim.Pf(model, time, "0000:02:00.0", seed: 2);
        var s = await Sim.NewVf(source);
        source.SetDirtyRate(s, 1 << 20);
        var t = await Sim.NewVf(target);
        time.Advance(TimeSpan.FromSeconds(1)); // the workload changes state before migration starts
        Assert.NotEqual(source.GetVfInfo(s).StateDigest, target.GetVfInfo(t).StateDigest);

        await Sim.Migrate(source, s, target, t, time);

        var saved = source.GetVfInfo(s).LastSaved!;
        var loaded = target.GetVfInfo(t).LastLoaded!;
        Assert.Equal(saved.Checksum, loaded.Checksum);
        Assert.Equal(saved.Bytes, loaded.Bytes);
        Assert.Equal(saved.StateDigest, loaded.StateDigest);
        Assert.Equal(source.GetVfInfo(s).StateDigest, target.GetVfInfo(t).StateDigest);
        Assert.Equal(VfioDeviceState.Running, target.GetDeviceState(t));
        Assert.Equal(VfioDeviceState.Stop, source.GetDeviceState(s));
    }
}
