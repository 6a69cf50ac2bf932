using Orchestrator.Cluster.Pfs;
using Orchestrator.Cluster.Transfer;
using Orchestrator.Devices.Contract;
using Orchestrator.Devices.Simulation;
using Orchestrator.Domain.Ids;
using Orchestrator.Testing;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Tests.Pfs;

/// <summary>
/// A pre-copy round of a multi-VF workload on one PF: the VFs' segments run side by side (one VF's target loading its
/// first image does not hold the others back), and one bandwidth cap holds for all of them together.
/// </summary>
public sealed class SourceSessionTests
{
    private const long MiB = 1 << 20;
    private static readonly MigrationTicket Ticket = new(MigrationId.Parse("m-session"), Epoch.Of(1));
    private static readonly PfId Source = PfId.Of(HostId.Parse("host-a"), "0000:3b:00.0");
    private static readonly PfId Target = PfId.Of(HostId.Parse("host-b"), "0000:3b:00.0");

    [Fact]
    public async Task A_round_streams_every_vf_while_another_vfs_target_still_holds_its_segment()
    {
        await using var rig = await Rig.StartAsync(vfs: 2);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Sinks[0].Hold = held.Task; // VF 0's target takes nothing until released: its segment cannot be acknowledged
        // A round bound far off: only the hold decides when VF 0's segment ends, however slow the machine.
        await using var session = new SourceSession(Ticket, rig.Lane, new PfActorSettings { MaxPreCopyRound = TimeSpan.FromMinutes(1) });
        await session.StartPreCopyAsync(rig.Offers, bandwidthCap: 0, traceParent: null, CancellationToken.None);

        var round = session.RunRoundAsync(1, bandwidthCap: 0, CancellationToken.None);
        // One VF after another, VF 1 would not start before VF 0's segment is acknowledged, which the hold prevents.
        await Eventually.TrueAsync(() => rig.Sinks[1].Received > 0, "VF 1's target received part of its image while VF 0's is held");
        Assert.False(round.IsCompleted);

        held.SetResult();
        var reply = await round.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(rig.Sinks.Sum(s => s.Received), reply.BytesTransferred);
        Assert.All(rig.Sinks, s => Assert.True(s.Received >= 16 * MiB, $"a target received {s.Received} bytes of a 16 MiB first image"));
        Assert.True(reply.TargetReady);
    }

    [Fact]
    public async Task One_bandwidth_cap_holds_for_the_vfs_together()
    {
        const long cap = 2 * MiB;
        await using var rig = await Rig.StartAsync(vfs: 2);
        await using var session = new SourceSession(Ticket, rig.Lane, new PfActorSettings { MaxPreCopyRound = TimeSpan.FromSeconds(2) });
        await session.StartPreCopyAsync(rig.Offers, cap, traceParent: null, CancellationToken.None);

        // 32 MiB of first images at 2 MiB/s: the round ends at its 2 s bound, both VFs having streamed.
        var reply = await session.RunRoundAsync(1, cap, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(rig.Sinks, s => Assert.True(s.Received > 0, "a VF did not stream in the round"));
        // A round's last read waits for what it reserved, so the bucket allows the rate over the round plus its burst
        // (1 MiB): under 1.5 × the cap over a round of at least 2 s. A cap per VF allows twice that (2.4 × measured).
        Assert.True(reply.BandwidthBytesPerSecond <= cap * 3 / 2, $"the round moved {reply.BytesTransferred} bytes in {reply.Elapsed.TotalMilliseconds:F0} ms: {reply.BandwidthBytesPerSecond / (double)MiB:F1} MiB/s under a cap of {cap / MiB} MiB/s");
        Assert.False(reply.TargetReady);
    }

    /// <summary>A source PF with <c>eth-small</c> VFs (16 MiB first images) and a listener per VF standing for its target.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly List<StateTransferListener> _listeners = [];

        private Rig(PfDeviceLane lane) => Lane = lane;

        public PfDeviceLane Lane { get; }

        public List<CountingSink> Sinks { get; } = [];

        public List<TargetVfOffer> Offers { get; } = [];

        public static async Task<Rig> StartAsync(int vfs)
        {
            var driver = new SimulatedPfDriver(DriverModels.Mlx5, new SimulatedPfConfig(Source.Address, "ConnectX-7", TestTopologies.Firmware) { LatencyScale = 0 });
            var rig = new Rig(new PfDeviceLane(driver, (_, _, _, _) => { }, TimeProvider.System, new ArcTimes()));
            for (var i = 0; i < vfs; i++)
            {
                await driver.CreateVfAsync(VfKind.Vfio, TestProfiles.EthSmall, i);
                var sink = new CountingSink();
                var listener = StateTransferListener.Start(Ticket.Migration.Value, Ticket.Epoch.Value, sink.WriteAsync);
                rig.Sinks.Add(sink);
                rig._listeners.Add(listener);
                rig.Offers.Add(new TargetVfOffer(Source.Vf(i), Target.Vf(i), listener.Offer));
            }

            return rig;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var listener in _listeners)
            {
                await listener.DisposeAsync();
            }

            Lane.Dispose();
        }
    }

    private sealed class CountingSink
    {
        private long _received;

        public Task Hold { get; set; } = Task.CompletedTask;

        public long Received => Interlocked.Read(ref _received);

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await Hold.WaitAsync(cancellationToken);
            Interlocked.Add(ref _received, data.Length);
        }
    }
}
