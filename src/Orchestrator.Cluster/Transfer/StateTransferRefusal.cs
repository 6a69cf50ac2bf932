namespace Orchestrator.Cluster.Transfer;

/// <summary>Why a listener refused a connection. Values travel in the Refused frame: never renumber.</summary>
public enum StateTransferRefusal : byte
{
    /// <summary>No refusal.</summary>
    None = 0,

    /// <summary>The Hello carried a token other than the listener's.</summary>
    BadToken = 1,

    /// <summary>The token was right but already used by an earlier connection (tokens are single-use).</summary>
    TokenAlreadyUsed = 2,

    /// <summary>The Hello named another migration id or epoch (a stale or misrouted sender).</summary>
    WrongMigration = 3,

    /// <summary>No complete Hello arrived within the handshake timeout.</summary>
    HandshakeTimeout = 4,

    /// <summary>The first frame was not a well-formed Hello of a known protocol version.</summary>
    ProtocolError = 5,

    /// <summary>Too many connections were already waiting in the handshake.</summary>
    TooManyPending = 6,

    /// <summary>
    /// The TLS handshake failed: a certificate did not chain to the configured CA. Set by the side that saw it fail;
    /// no frame carries it, as no frame can cross before the handshake.
    /// </summary>
    UntrustedPeer = 7,
}
