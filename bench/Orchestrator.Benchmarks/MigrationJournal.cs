using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Migrations;
using Orchestrator.Domain.Placement;
using A = Orchestrator.Domain.Migrations.MigrationActions;
using C = Orchestrator.Domain.Migrations.MigrationCommands;

namespace Orchestrator.Benchmarks;

/// <summary>A happy-path migration (one VF, one pre-copy round) driven through Decide/Apply: its commands and events.</summary>
internal static class MigrationJournal
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly MigrationId Id = MigrationId.Parse("m-bench-1");
    private static readonly MigrationFlags Flags = MigrationFlags.StopCopy | MigrationFlags.P2P | MigrationFlags.PreCopy;

    public static C.RequestMigration Request() =>
        new(Id, WorkloadId.Parse("vm-1"), [PfId.Parse("host-a/0000:3b:00.0").Vf(0)], null, null);

    public static IMigrationCommand? Next(MigrationState s) => s.NextAction() switch
    {
        A.Place => new C.RecordPlacement(s.Id, s.Epoch, new PlacementTarget(HostId.Parse("host-a"), HostId.Parse("host-b"),
            [new VfPlacement(PfId.Parse("host-a/0000:3b:00.0").Vf(0), PfId.Parse("host-b/0000:3b:00.0").Vf(0), VfKind.Vfio, ProfileId.Parse("eth-mig"), Flags, Flags)])),
        A.AwaitAdmission => new C.RecordAdmitted(s.Id, s.Epoch),
        A.PrepareTarget => new C.RecordTargetPrepared(s.Id, s.Epoch),
        A.StartPreCopy => new C.RecordPreCopyStarted(s.Id, s.Epoch, 268_435_456),
        A.ContinuePreCopy c => new C.RecordPreCopyRound(s.Id, s.Epoch, c.Round, 268_435_456, 1_000, 64e6, 3e9, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30)),
        A.QuiesceSources => new C.RecordSourcesQuiesced(s.Id, s.Epoch),
        A.StopAndCopy => new C.RecordStateTransferred(s.Id, s.Epoch, 268_435_456, "xxh128:0123456789abcdef0123456789abcdef"),
        A.LoadTarget => new C.RecordTargetLoaded(s.Id, s.Epoch),
        A.Commit => new C.RecordCommit(s.Id, s.Epoch),
        A.StartTarget => new C.RecordTargetRunning(s.Id, s.Epoch),
        A.ReleaseSource => new C.RecordSourceReleased(s.Id, s.Epoch),
        A.ReleaseReservations => new C.RecordReservationsReleased(s.Id, s.Epoch),
        _ => null,
    };

    /// <summary>Decide + Apply until terminal; the events, in order.</summary>
    public static (MigrationState Final, List<IMigrationEvent> Events) Drive()
    {
        var events = new List<IMigrationEvent>();
        var s = MigrationState.Empty(Id);
        var now = T0;
        IMigrationCommand? command = Request();
        for (var i = 0; i < 100 && command is not null && !s.IsTerminal; i++)
        {
            var result = s.Decide(command, now);
            if (!result.Accepted)
            {
                throw new InvalidOperationException($"{command.GetType().Name} rejected: {result.Code} {result.Reason}");
            }

            foreach (var e in result.Events)
            {
                s = s.Apply(e);
                events.Add(e);
            }

            now = now.AddMilliseconds(10);
            command = Next(s);
        }

        return s.IsTerminal ? (s, events) : throw new InvalidOperationException($"not terminal: {s.Phase}");
    }
}
