namespace Orchestrator.Domain.Pfs;

/// <summary>How a command takes the VF indices it names.</summary>
public enum PfClaimMode
{
    /// <summary>Takes the indices nobody else holds and leaves the others to their owner (the command goes on).</summary>
    IfFree,

    /// <summary>Refuses the whole command when another migration holds any of the indices (a target is never someone else's VF).</summary>
    RefuseIfHeld,
}
