using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;

namespace Orchestrator.Node.Tests.Chaos;

public sealed class DeviceStatePersistenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chaos-devices-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_restarted_pf_has_the_vfs_states_and_contents_of_the_one_that_died()
    {
        var path = Path.Combine(_dir, "pf.json");
        var first = Pf();
        first.StatePath = path;
        var running = await first.CreateVfAsync(VfKind.Vfio, first.Descriptor.Profiles[0], 2);
        var stopped = await first.CreateVfAsync(VfKind.Vfio, first.Descriptor.Profiles[0], 5);
        await first.SetDeviceStateAsync(stopped.Index, VfioDeviceState.RunningP2P);
        await first.SetDeviceStateAsync(stopped.Index, VfioDeviceState.Stop);
        var digest = first.GetVfInfo(running.Index).StateDigest;

        var second = Pf();
        second.RestoreState(SimulatedPfDriver.ReadState(path)!);

        Assert.Equal([(2, VfioDeviceState.Running), (5, VfioDeviceState.Stop)], second.ListVfs().Select(v => (v.Index, v.State)).Order());
        Assert.Equal(first.GetVfInfo(stopped.Index).StateDigest, second.GetVfInfo(stopped.Index).StateDigest);
        Assert.NotEqual(default, digest);
    }

    [Fact]
    public async Task A_vf_that_was_resuming_comes_back_in_error_and_a_destroyed_vf_stays_gone()
    {
        var path = Path.Combine(_dir, "pf.json");
        var first = Pf();
        first.StatePath = path;
        var target = await first.CreateVfAsync(VfKind.Vfio, first.Descriptor.Profiles[0]);
        var gone = await first.CreateVfAsync(VfKind.Vfio, first.Descriptor.Profiles[0]);
        await first.SetDeviceStateAsync(target.Index, VfioDeviceState.RunningP2P);
        await first.SetDeviceStateAsync(target.Index, VfioDeviceState.Stop);
        await first.SetDeviceStateAsync(target.Index, VfioDeviceState.Resuming);
        await first.DestroyVfAsync(gone.Index);

        var second = Pf();
        second.RestoreState(SimulatedPfDriver.ReadState(path)!);

        var vf = Assert.Single(second.ListVfs());
        Assert.Equal((target.Index, VfioDeviceState.Error), (vf.Index, vf.State));
    }

    [Fact]
    public void A_state_file_of_another_pf_is_refused_naming_both()
    {
        var state = new PersistedPfState("0000:99:00.0", []);
        var e = Assert.Throws<InvalidDataException>(() => Pf().RestoreState(state));
        Assert.Contains("0000:99:00.0", e.Message, StringComparison.Ordinal);
        Assert.Contains("0000:3b:00.0", e.Message, StringComparison.Ordinal);
    }

    private static SimulatedPfDriver Pf() =>
        new(DriverModels.Mlx5, new SimulatedPfConfig("0000:3b:00.0", "ConnectX-7", "28.39.1002") { LatencyScale = 0 });
}
