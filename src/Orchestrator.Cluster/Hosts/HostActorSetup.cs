using Orchestrator.Cluster.Pfs;
using Orchestrator.Devices.Contract;

namespace Orchestrator.Cluster.Hosts;

/// <summary>What a <see cref="HostActor"/> starts from.</summary>
/// <param name="Id">The host.</param>
/// <param name="NodeName">The node the host runs on, as the directory names it.</param>
/// <param name="Drivers">One driver per PF of the host.</param>
/// <param name="InitialWorkloads">Workload labels of the topology, for a host whose journal is empty.</param>
/// <param name="Settings">Settings of the host's PF actors.</param>
/// <param name="Observer">Where the PF actors report device events (the chaos history, or nothing).</param>
/// <param name="Reconciler">Settings of the host's reconciler; null runs none.</param>
/// <param name="SnapshotEvery">The host journal snapshots after this many events.</param>
public sealed record HostActorSetup(
    HostId Id,
    string NodeName,
    IReadOnlyList<IPfDriver> Drivers,
    IReadOnlyDictionary<VfId, WorkloadId> InitialWorkloads,
    PfActorSettings Settings,
    IDeviceObserver Observer,
    ReconcilerSettings? Reconciler = null,
    int SnapshotEvery = 1000);
