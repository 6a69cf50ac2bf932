using Orchestrator.Domain.Pfs;
using static Orchestrator.Cluster.Pfs.PfProtocol;

namespace Orchestrator.Cluster.Pfs;

/// <summary>
/// Keeps a PF's <see cref="PfLedger{TReply}"/> (and its measured <see cref="ArcTimes"/>) across in-place restarts of its <see cref="PfActor"/>: it is a
/// constructor argument of the actor's Props, and the supervisor builds every incarnation from the same Props. Only the
/// PF actor reads or replaces the ledger, on its own thread (one incarnation runs at a time).
/// </summary>
/// <param name="ledger">The ledger to start from.</param>
public sealed class PfLedgerHolder(PfLedger<IPfStepReply> ledger)
{
    /// <summary>The PF's ledger now.</summary>
    public PfLedger<IPfStepReply> Ledger { get; set; } = ledger;

    /// <summary>The device's measured arc times: an actor restart does not change how fast the device is.</summary>
    public ArcTimes Arcs { get; } = new();
}
