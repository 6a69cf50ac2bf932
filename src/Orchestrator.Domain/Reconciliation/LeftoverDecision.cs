using Orchestrator.Devices.Contract;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Reconciliation;

/// <summary>
/// One verdict of <see cref="LeftoverRules.Decide"/>: clean (<see cref="Action"/> set) or leave alone (null), and why.
/// </summary>
/// <param name="Action">What to do; null means leave it, for the reason given.</param>
/// <param name="Vf">The VF concerned, if any.</param>
/// <param name="Pf">The PF concerned (a VF's PF, or a slot's).</param>
/// <param name="Migration">The ended migration that left it; null for a VF no migration claims.</param>
/// <param name="Epoch">That migration's epoch as known: the PF refuses when it has seen a newer one.</param>
/// <param name="ExpectedState">The VF state the verdict was made on: the PF refuses when the device has moved on.</param>
/// <param name="Reason">Why, in words an operator reads in the log and the API.</param>
public sealed record LeftoverDecision(
    LeftoverAction? Action,
    VfId? Vf,
    PfId? Pf,
    MigrationId? Migration,
    long? Epoch,
    VfioDeviceState? ExpectedState,
    string Reason)
{
    /// <summary>True when something is to be cleaned.</summary>
    public bool IsClean => Action is not null;
}
