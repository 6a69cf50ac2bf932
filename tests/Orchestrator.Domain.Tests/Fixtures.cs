using System.Text.Json;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Compatibility;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using A = Orchestrator.Domain.Migrations.MigrationActions;
using C = Orchestrator.Domain.Migrations.MigrationCommands;

namespace Orchestrator.Domain.Tests;

internal static class Fixtures
{
    public static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly MigrationId Mid = MigrationId.Parse("m-test-1");
    public static readonly WorkloadId Vm = WorkloadId.Parse("vm-1");
    public static readonly HostId HostA = HostId.Parse("host-a");
    public static readonly HostId HostB = HostId.Parse("host-b");

    public static readonly ProfileId EthMig = ProfileId.Parse("eth-mig");

    public static PfDescriptor Cx7(string address, string firmware = "28.41.1000", MigrationFlags? flags = null, int maxVfs = 4, int slots = 4, params string[] profiles) =>
        new(address, "mlx5", "ConnectX-7", firmware, flags ?? (MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy), maxVfs, slots,
            profiles.Length == 0 ? [EthMig] : [.. profiles.Select(ProfileId.Parse)]);

    public static PfInventory Pf(HostId host, PfDescriptor d, params VfInventory[] vfs) => new(PfId.Of(host, d.Address), d, vfs);

    public static VfInventory Vf(PfId pf, int index, WorkloadId? workload = null, VfKind kind = VfKind.Vfio, string profile = "eth-mig") =>
        new(pf.Vf(index), kind, ProfileId.Parse(profile), workload, VfioDeviceState.Running);

    public static VfPlacement Placement(int index, MigrationFlags? flags = null)
    {
        var f = flags ?? (MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy);
        return new(PfId.Parse("host-a/0000:3b:00.0").Vf(index), PfId.Parse("host-b/0000:3b:00.0").Vf(index), VfKind.Vfio, EthMig, f, f);
    }

    public static C.RequestMigration Request(int vfs = 1, Orchestrator.Domain.Policies.MigrationPolicy? policy = null) =>
        new(Mid, Vm, [.. Enumerable.Range(0, vfs).Select(i => PfId.Parse("host-a/0000:3b:00.0").Vf(i))], null, policy);

    public static PlacementTarget Target(int vfs = 1, MigrationFlags? flags = null) =>
        new(HostA, HostB, [.. Enumerable.Range(0, vfs).Select(i => Placement(i, flags))]);

    private static readonly JsonSerializerOptions Json = new() { IncludeFields = true };

    /// <summary>A structural rendering of a state (records compare lists by reference).</summary>
    public static string Structure(MigrationState s) => JsonSerializer.Serialize(s, Json);

    /// <summary>Decide + Apply; asserts accepted.</summary>
    public static MigrationState Run(this MigrationState state, IMigrationCommand command, DateTimeOffset now, List<IMigrationEvent>? journal = null)
    {
        var result = state.Decide(command, now);
        Assert.True(result.Accepted, $"{command.GetType().Name} rejected: {result.Code} {result.Reason}");
        journal?.AddRange(result.Events);
        return result.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    /// <summary>The successful outcome of the state's next action (null when there is none).</summary>
    public static IMigrationCommand? Success(MigrationState s, int vfs = 1, long remaining = 1_000, MigrationFlags? flags = null) => s.NextAction() switch
    {
        A.Place => new C.RecordPlacement(s.Id, s.Epoch, Target(vfs, flags)),
        A.AwaitAdmission => new C.RecordAdmitted(s.Id, s.Epoch),
        A.PrepareTarget => new C.RecordTargetPrepared(s.Id, s.Epoch),
        A.StartPreCopy => new C.RecordPreCopyStarted(s.Id, s.Epoch, 100_000_000),
        A.ContinuePreCopy c => new C.RecordPreCopyRound(s.Id, s.Epoch, c.Round, 50_000_000, remaining, 1e6, 1e9, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30)),
        A.QuiesceSources => new C.RecordSourcesQuiesced(s.Id, s.Epoch),
        A.StopAndCopy => new C.RecordStateTransferred(s.Id, s.Epoch, 4096, "crc:1234"),
        A.LoadTarget => new C.RecordTargetLoaded(s.Id, s.Epoch),
        A.Commit => new C.RecordCommit(s.Id, s.Epoch),
        A.StartTarget => new C.RecordTargetRunning(s.Id, s.Epoch),
        A.ReleaseSource => new C.RecordSourceReleased(s.Id, s.Epoch),
        A.ReleaseReservations => new C.RecordReservationsReleased(s.Id, s.Epoch),
        A.ResumeSource => new C.RecordSourceResumed(s.Id, s.Epoch),
        A.DestroyTarget => new C.RecordTargetDestroyed(s.Id, s.Epoch),
        _ => null,
    };

    /// <summary>
    /// A single-VF migration requested at <paramref name="now"/> and fed successful outcomes, 10 ms apart, until it is
    /// in <paramref name="phase"/>; <paramref name="now"/> ends at the last of them.
    /// </summary>
    public static MigrationState AdvanceTo(MigrationPhase phase, ref DateTimeOffset now, Orchestrator.Domain.Policies.MigrationPolicy? policy = null)
    {
        var s = MigrationState.Empty(Mid).Run(Request(policy: policy), now);
        for (var i = 0; i < 50 && s.Phase != phase; i++)
        {
            now = now.AddMilliseconds(10);
            s = s.Run(Success(s)!, now);
        }

        Assert.Equal(phase, s.Phase);
        return s;
    }

    /// <summary>Feeds successful outcomes until terminal; asserts it gets there within a bound.</summary>
    public static MigrationState Drive(MigrationState s, ref DateTimeOffset now, int vfs = 1, List<IMigrationEvent>? journal = null)
    {
        for (var i = 0; i < 100 && !s.IsTerminal; i++)
        {
            var command = Success(s, vfs);
            Assert.NotNull(command);
            now = now.AddMilliseconds(10);
            s = s.Run(command, now, journal);
        }

        Assert.True(s.IsTerminal, $"not terminal after 100 steps: {s.Phase}");
        return s;
    }
}
