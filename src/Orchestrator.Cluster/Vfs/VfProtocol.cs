using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Cluster.Vfs;

/// <summary>Messages between a PF actor and its VF actors (local only: VF actors are children of their PF).</summary>
public static class VfProtocol
{
    /// <summary>The PF observed a new VFIO state on the device (after a command or a re-read).</summary>
    public sealed record StateObserved(VfioDeviceState State, MigrationId? Migration, Epoch? Epoch, DateTimeOffset At);

    /// <summary>The VF now belongs to a migration (or to none).</summary>
    public sealed record AssignMigration(MigrationId? Migration);

    /// <summary>Asks for the VF's identity and history.</summary>
    public sealed record GetVfStatus
    {
        public static GetVfStatus Instance { get; } = new();
    }

    /// <summary>One VF: identity, state and its last transitions.</summary>
    public sealed record VfStatus(
        VfId Id,
        VfKind Kind,
        string Profile,
        WorkloadId? Workload,
        VfioDeviceState State,
        MigrationId? Migration,
        IReadOnlyList<VfTransition> History) : IOrchestratorMessage;

    /// <summary>One state change of a VF.</summary>
    public sealed record VfTransition(VfioDeviceState From, VfioDeviceState To, MigrationId? Migration, Epoch? Epoch, DateTimeOffset At);
}
