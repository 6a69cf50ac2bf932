using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Reconciliation;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// Device-level facts a PF actor reports as they happen: the chaos history and metrics listen here. Calls come
/// from the PF actor's thread, one at a time; implementations must not block.
/// </summary>
public interface IDeviceObserver
{
    void VfCreated(VfId vf, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state, MigrationTicket? cause);

    void VfDestroyed(VfId vf, WorkloadId? workload, MigrationTicket? cause);

    void VfStateChanged(VfId vf, WorkloadId? workload, VfioDeviceState? from, VfioDeviceState to, MigrationTicket? cause);

    void StateSaved(MigrationTicket ticket, VfChecksum checksum);

    void StateLoaded(MigrationTicket ticket, VfChecksum checksum);

    void CommandFenced(PfId pf, MigrationTicket ticket, string step, Epoch current);

    void SlotChanged(PfId pf, MigrationId migration, bool acquired);

    /// <summary>
    /// A PF actor started: it holds no migration slot, whatever an earlier incarnation (a process that died) held.
    /// Observers that do not record it need not implement it.
    /// </summary>
    void PfStarted(PfId pf)
    {
    }

    /// <summary>
    /// The host reconciler cleaned a leftover (the device and slot facts of the clean-up are reported as they happen,
    /// through the other methods). Called from the reconciler's thread. Observers that do not record it need not
    /// implement it.
    /// </summary>
    void LeftoverCleaned(HostId host, LeftoverAction action, PfId? pf, VfId? vf, MigrationId? migration, long? epoch, string reason)
    {
    }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullDeviceObserver : IDeviceObserver
{
    public static NullDeviceObserver Instance { get; } = new();

    public void VfCreated(VfId vf, VfKind kind, ProfileId profile, WorkloadId? workload, VfioDeviceState state, MigrationTicket? cause)
    {
    }

    public void VfDestroyed(VfId vf, WorkloadId? workload, MigrationTicket? cause)
    {
    }

    public void VfStateChanged(VfId vf, WorkloadId? workload, VfioDeviceState? from, VfioDeviceState to, MigrationTicket? cause)
    {
    }

    public void StateSaved(MigrationTicket ticket, VfChecksum checksum)
    {
    }

    public void StateLoaded(MigrationTicket ticket, VfChecksum checksum)
    {
    }

    public void CommandFenced(PfId pf, MigrationTicket ticket, string step, Epoch current)
    {
    }

    public void SlotChanged(PfId pf, MigrationId migration, bool acquired)
    {
    }
}
