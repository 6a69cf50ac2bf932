namespace Orchestrator.Cluster.Transfer;

/// <summary>Thrown when a sender cannot open a transfer (connection failed or refused by the listener).</summary>
public sealed class StateTransferException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateTransferException(StateTransferOutcome outcome, StateTransferRefusal refusal, string message, Exception? inner = null)
        : base(message, inner)
    {
        Outcome = outcome;
        Refusal = refusal;
    }

    /// <summary>Creates the exception with a generic outcome.</summary>
    public StateTransferException() : this(StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, "state transfer failed") { }

    /// <summary>Creates the exception with a generic outcome.</summary>
    public StateTransferException(string message) : this(StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, message) { }

    /// <summary>Creates the exception with a generic outcome.</summary>
    public StateTransferException(string message, Exception inner)
        : this(StateTransferOutcome.ConnectionLost, StateTransferRefusal.None, message, inner) { }

    /// <summary><see cref="StateTransferOutcome.Refused"/>, <see cref="StateTransferOutcome.ConnectionLost"/>, ….</summary>
    public StateTransferOutcome Outcome { get; }

    /// <summary>The listener's reason when <see cref="Outcome"/> is <see cref="StateTransferOutcome.Refused"/>.</summary>
    public StateTransferRefusal Refusal { get; }
}
