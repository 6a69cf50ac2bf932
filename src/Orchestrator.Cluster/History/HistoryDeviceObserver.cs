using Orchestrator.Cluster.Migrations;
using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.History;

/// <summary>
/// Writes what a node's PF actors and coordinators report into the node's history file, in the format the
/// invariant checker reads. One per node process.
/// </summary>
public sealed class HistoryDeviceObserver(HistoryWriter writer) : IDeviceObserver
{
    public HistoryWriter Writer { get; } = writer;

    public void VfCreated(VfId vf, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state, MigrationTicket? cause) =>
        Writer.Append(Caused(
            new History.VfCreated
            {
                Host = vf.Host.ToString(),
                Pf = vf.Pf.ToString(),
                Vf = vf.ToString(),
                Kind = kind.ToString().ToLowerInvariant(),
                Profile = profile.Value,
                State = state.Name(),
            },
            workload,
            cause));

    public void VfDestroyed(VfId vf, WorkloadId? workload, MigrationTicket? cause) =>
        Writer.Append(Caused(new History.VfDestroyed { Host = vf.Host.ToString(), Pf = vf.Pf.ToString(), Vf = vf.ToString() }, workload, cause));

    public void VfStateChanged(VfId vf, WorkloadId? workload, VfioDeviceState? from, VfioDeviceState to, MigrationTicket? cause)
    {
        if (from is null)
        {
            // The first sighting of a VF (node start, or just created): its state is in vf-created.
            return;
        }

        Writer.Append(Caused(
            new History.VfStateChanged
            {
                Host = vf.Host.ToString(),
                Pf = vf.Pf.ToString(),
                Vf = vf.ToString(),
                From = from.Value.Name(),
                To = to.Name(),
            },
            workload,
            cause));
    }

    public void StateSaved(MigrationTicket ticket, VfChecksum checksum) => Writer.Append(Saved(ticket, checksum));

    // A load names the same fields as the save it pairs with, located at the target VF, with the source VF as its pair.
    public void StateLoaded(MigrationTicket ticket, VfChecksum checksum) =>
        Writer.Append(new History.StateLoaded(Saved(ticket, checksum)) { Pair = checksum.Source?.ToString() });

    private static History.StateSaved Saved(MigrationTicket ticket, VfChecksum checksum) => new()
    {
        Host = checksum.Vf.Host.ToString(),
        Pf = checksum.Vf.Pf.ToString(),
        Vf = checksum.Vf.ToString(),
        Migration = ticket.Migration.ToString(),
        Epoch = ticket.Epoch.Value,
        Bytes = checksum.Bytes,
        Checksum = checksum.Checksum,
        Pair = checksum.Vf.ToString(),
    };

    public void CommandFenced(PfId pf, MigrationTicket ticket, string step, Epoch current) =>
        Writer.Append(new History.CommandFenced
        {
            Host = pf.Host.ToString(),
            Pf = pf.ToString(),
            Migration = ticket.Migration.ToString(),
            Epoch = ticket.Epoch.Value,
            CurrentEpoch = current.Value,
            Command = step,
        });

    public void PfStarted(PfId pf) =>
        Writer.Append(new History.PfStarted { Host = pf.Host.ToString(), Pf = pf.ToString() });

    public void SlotChanged(PfId pf, MigrationId migration, bool acquired) =>
        Writer.Append(new History.SlotChanged
        {
            Host = pf.Host.ToString(),
            Pf = pf.ToString(),
            Migration = migration.ToString(),
            Op = acquired ? SlotOp.Acquire : SlotOp.Release,
            Kind = SlotKind.Migration,
        });

    public void LeftoverCleaned(HostId host, LeftoverAction action, PfId? pf, VfId? vf, MigrationId? migration, long? epoch, string reason) =>
        Writer.Append(new LeftoverCleanedRecord
        {
            Host = host.ToString(),
            Pf = pf?.ToString(),
            Vf = vf?.ToString(),
            Migration = migration?.ToString(),
            Epoch = epoch,
            Action = ActionName(action),
            Reason = reason,
        });

    /// <summary>The history (and API) name of a clean-up: <c>destroy-target</c>, <c>free-slot</c>, ...</summary>
    public static string ActionName(LeftoverAction action) => action switch
    {
        LeftoverAction.DestroyTarget => "destroy-target",
        LeftoverAction.ReleaseSource => "release-source",
        LeftoverAction.ResumeSource => "resume-source",
        LeftoverAction.FreeSlot => "free-slot",
        LeftoverAction.ReleaseReservation => "release-reservation",
        _ => action.ToString(),
    };

    /// <summary>A coordinator's migration changed protocol state (called once per new state or epoch).</summary>
    public void MigrationChanged(MigrationView view) =>
        Writer.Append(new MigrationStateChanged
        {
            Migration = view.Id.ToString(),
            Workload = view.Workload.ToString(),
            State = view.State.ToString(),
            Epoch = view.Epoch,
            SourceHost = view.Source?.ToString() ?? string.Empty,
            TargetHost = view.Target?.ToString(),
            Reason = view.Reason,
        });

    /// <summary><paramref name="record"/> with the workload its VF serves and the migration command that caused it.</summary>
    private static VfRecord Caused(VfRecord record, WorkloadId? workload, MigrationTicket? cause) =>
        record with { Workload = workload?.ToString(), Migration = cause?.Migration.ToString(), Epoch = cause?.Epoch.Value };
}
