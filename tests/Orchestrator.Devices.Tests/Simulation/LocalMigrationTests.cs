using Microsoft.Extensions.Time.Testing;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Devices.Tests.Topology;
using Orchestrator.Devices.Topology;
using S = Orchestrator.Devices.Contract.VfioDeviceState;

namespace Orchestrator.Devices.Tests.Simulation;

/// <summary>The demo's migration logic on the demo topology: what `orchestrator demo` runs, with a fake clock.</summary>
public class LocalMigrationTests
{
    private static (SimulatedPfDriver Source, SimulatedPfDriver Target, SimulatedPfDriver Incompatible, FakeTimeProvider Time) DemoPfs()
    {
        var time = new FakeTimeProvider();
        var topology = TopologyLoader.Load(TopologyLoaderTests.ClusterConfig("demo-topology.yaml"));
        var options = new TopologySimulationOptions { Seed = 42, LatencyScale = 0, TimeProvider = time };
        var a = TopologyDriverFactory.CreateHost(topology, "host-a", options);
        var b = TopologyDriverFactory.CreateHost(topology, "host-b", options);
        var c = TopologyDriverFactory.CreateHost(topology, "host-c", options);
        return (a[0], b[0], c[0], time);
    }

    [Fact]
    public async Task Demo_workload_migrates_with_pre_copy_rounds_and_the_target_loads_exactly_what_the_source_saved()
    {
        var (source, target, _, time) = DemoPfs();
        var before = source.GetVfInfo(0);
        var result = await LocalMigration.RunAsync(source, 0, target, new LocalMigrationOptions
        {
            TimeProvider = time,
            MinPreCopyRounds = 3,
            AfterRound = (_, _) =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100)); // the VM keeps running between rounds
                return ValueTask.CompletedTask;
            },
        });

        Assert.True(result.Succeeded, result.Failure);
        Assert.True(result.ChecksumsEqual);
        Assert.Equal(before.StateBytes, source.Model.FindProfile(ProfileId.Parse("eth-migratable"))!.StateBytes);
        Assert.True(result.Rounds.Count >= 3);
        Assert.True(result.Rounds[0].Bytes > before.StateBytes);
        Assert.True(result.Rounds[1].Bytes > 0, "the workload dirtied pages that round 2 sent again");
        Assert.Equal([S.Running, S.PreCopy, S.PreCopyP2P, S.StopCopy, S.Stop, S.Running], result.SourcePath);
        Assert.Equal([S.Running, S.RunningP2P, S.Stop, S.Resuming, S.Stop, S.RunningP2P, S.Running], result.TargetPath);
        Assert.DoesNotContain(source.ListVfs(), v => v.Index == 0);
        Assert.Equal(S.Running, target.GetDeviceState(result.TargetVf));
        Assert.Equal(before.DirtyBytesPerSecond, target.GetVfInfo(result.TargetVf).DirtyBytesPerSecond);
        Assert.Equal(0, source.ActiveMigrations);
        Assert.Equal(0, target.ActiveMigrations);
    }

    [Fact]
    public async Task Loading_into_the_incompatible_firmware_pf_fails_with_the_reason_and_rolls_back()
    {
        var (source, _, incompatible, time) = DemoPfs();
        var digest = source.GetVfInfo(0).StateDigest;
        var result = await LocalMigration.RunAsync(source, 0, incompatible, new LocalMigrationOptions { TimeProvider = time });

        Assert.False(result.Succeeded);
        Assert.Contains("firmware mismatch: stream '28.41.1000', target '28.39.2048'", result.Failure, StringComparison.Ordinal);
        Assert.False(result.ChecksumsEqual);
        Assert.Equal(S.Running, source.GetDeviceState(0));
        Assert.Equal(digest, source.GetVfInfo(0).StateDigest);
        Assert.DoesNotContain(incompatible.ListVfs(), v => v.Index == result.TargetVf);
        Assert.Equal(0, source.ActiveMigrations);
        Assert.Equal(0, incompatible.ActiveMigrations);
    }

    [Theory]
    [InlineData("pds", new[] { S.Running, S.RunningP2P, S.Stop, S.StopCopy, S.Stop, S.Running })]
    [InlineData("nvme", new[] { S.Running, S.Stop, S.StopCopy, S.Stop, S.Running })]
    [InlineData("hisi_acc", new[] { S.Running, S.PreCopy, S.StopCopy, S.Stop, S.Running })]
    public async Task Each_flag_set_walks_its_own_path(string name, S[] sourcePath)
    {
        DriverModels.TryGet(name, out var model);
        var source = Sim.Pf(model, address: "0000:01:00.0");
        var target = Sim.Pf(model);
        var vf = await Sim.NewVf(source);
        var result = await LocalMigration.RunAsync(source, vf, target);
        Assert.True(result.Succeeded, result.Failure);
        Assert.True(result.ChecksumsEqual);
        Assert.Equal(sourcePath, result.SourcePath);
    }

    [Fact]
    public async Task A_device_failure_during_switchover_rolls_back_to_a_running_source()
    {
        var source = Sim.Pf(DriverModels.Mlx5, address: "0000:01:00.0");
        var target = Sim.Pf(DriverModels.Mlx5);
        var vf = await Sim.NewVf(source);
        source.Faults.FailCommand(DeviceCommand.Save, 2, VfioErrno.EIO); // the final save on PRE_COPY_P2P -> STOP_COPY
        var result = await LocalMigration.RunAsync(source, vf, target);
        Assert.False(result.Succeeded);
        Assert.Equal(S.Error, result.SourcePath[^2]);
        Assert.Equal(S.Running, source.GetDeviceState(vf));
        Assert.Empty(target.ListVfs());
    }
}
