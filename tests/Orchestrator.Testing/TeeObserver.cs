using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Testing;

/// <summary>Sends every device fact to two observers (a test's recorder and the node's history).</summary>
public sealed class TeeObserver(IDeviceObserver first, IDeviceObserver second) : IDeviceObserver
{
    public void VfCreated(VfId vf, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state, MigrationTicket? cause)
    {
        first.VfCreated(vf, kind, profile, workload, state, cause);
        second.VfCreated(vf, kind, profile, workload, state, cause);
    }

    public void VfDestroyed(VfId vf, WorkloadId? workload, MigrationTicket? cause)
    {
        first.VfDestroyed(vf, workload, cause);
        second.VfDestroyed(vf, workload, cause);
    }

    public void VfStateChanged(VfId vf, WorkloadId? workload, VfioDeviceState? from, VfioDeviceState to, MigrationTicket? cause)
    {
        first.VfStateChanged(vf, workload, from, to, cause);
        second.VfStateChanged(vf, workload, from, to, cause);
    }

    public void StateSaved(MigrationTicket ticket, VfChecksum checksum)
    {
        first.StateSaved(ticket, checksum);
        second.StateSaved(ticket, checksum);
    }

    public void StateLoaded(MigrationTicket ticket, VfChecksum checksum)
    {
        first.StateLoaded(ticket, checksum);
        second.StateLoaded(ticket, checksum);
    }

    public void CommandFenced(PfId pf, MigrationTicket ticket, string step, Epoch current)
    {
        first.CommandFenced(pf, ticket, step, current);
        second.CommandFenced(pf, ticket, step, current);
    }

    public void SlotChanged(PfId pf, MigrationId migration, bool acquired)
    {
        first.SlotChanged(pf, migration, acquired);
        second.SlotChanged(pf, migration, acquired);
    }

    public void PfStarted(PfId pf)
    {
        first.PfStarted(pf);
        second.PfStarted(pf);
    }

    public void LeftoverCleaned(HostId host, LeftoverAction action, PfId? pf, VfId? vf, MigrationId? migration, long? epoch, string reason)
    {
        first.LeftoverCleaned(host, action, pf, vf, migration, epoch, reason);
        second.LeftoverCleaned(host, action, pf, vf, migration, epoch, reason);
    }
}
