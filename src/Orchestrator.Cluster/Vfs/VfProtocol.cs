using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Vfs;

/// <summary>Messages of a VF actor: from its PF (local, it is the PF's child), and the status read through the PF.</summary>
public static class VfProtocol
{
    /// <summary>The PF observed a new VFIO state on the device (after a command or a re-read).</summary>
    public sealed record StateObserved(VfioDeviceState State, MigrationId? Migration, Epoch? Epoch, DateTimeOffset At);

    /// <summary>
    /// A VF actor restarted after a failure: its PF re-reads the device and answers <see cref="StateObserved"/>. Only the
    /// PF talks to the device, so the VF asks instead of reading it.
    /// </summary>
    public sealed record Restarted(int Index);

    /// <summary>Asks a PF for one of its VFs' identity, state and last transitions (the PF hands it to the VF actor).</summary>
    public sealed record GetVfStatus(int Index) : IOrchestratorMessage;

    /// <summary>One VF: identity, the state its PF last observed, and its last transitions (oldest first).</summary>
    public sealed record VfStatus(
        VfId Id,
        VfKind Kind,
        ProfileId Profile,
        WorkloadId? Workload,
        VfioDeviceState State,
        IReadOnlyList<VfTransition> History) : IOrchestratorMessage;

    /// <summary>One state change of a VF, and the migration (with its epoch) whose command caused it, if any.</summary>
    public sealed record VfTransition(VfioDeviceState From, VfioDeviceState To, MigrationId? Migration, Epoch? Epoch, DateTimeOffset At);
}
