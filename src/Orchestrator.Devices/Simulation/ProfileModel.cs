using Orchestrator.Devices.Contract;

namespace Orchestrator.Devices.Simulation;

/// <summary>A named feature set a driver model offers for its VFs.</summary>
/// <param name="Name">Profile name, unique within its driver model.</param>
/// <param name="Migratable">
/// False when the profile keeps features on that cannot be saved (mlx5: the <c>migratable</c> port-function
/// attribute is off). Such a VF has no migration ops: every state request answers ENOTTY, like the kernel's
/// MIG_DEVICE_STATE feature without <c>mig_ops</c>.
/// </param>
/// <param name="StateBytes">Size of the saved device state (the payload of the state stream, without records).</param>
/// <param name="DefaultDirtyBytesPerSecond">How fast a running workload changes state unless the workload says otherwise.</param>
/// <param name="QueuePairs">Queue pairs of the VF (hisi_acc <c>qp_num</c>, part of its match block); 0 where unused.</param>
/// <param name="Description">What the feature set is, for operators.</param>
public sealed record ProfileModel(
    string Name,
    bool Migratable,
    long StateBytes,
    long DefaultDirtyBytesPerSecond,
    int QueuePairs,
    string Description)
{
    /// <summary>The name as the profile id VFs carry; a model with a badly spelled name fails as it is built.</summary>
    public ProfileId Id { get; } = ProfileId.Parse(Name);
}
