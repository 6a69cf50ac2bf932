namespace Orchestrator.Cluster.History;

/// <summary>What a <see cref="ReservationChanged"/> did: <c>reserve</c> or <c>release</c>.</summary>
public enum ReservationOp
{
    /// <summary>Placement reserved capacity on the target.</summary>
    Reserve,

    /// <summary>The reservation was given back.</summary>
    Release,
}
