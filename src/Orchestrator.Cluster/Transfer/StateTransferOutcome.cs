namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// How a state transfer ended. The numeric values travel on the wire (Ack, Refused and Abort frames): never
/// renumber them, only add.
/// </summary>
public enum StateTransferOutcome : byte
{
    /// <summary>Every byte arrived, the length and checksum match, and the sink took all of it.</summary>
    Ok = 0,

    /// <summary>The receiver's checksum of the payload differs from the sender's.</summary>
    ChecksumMismatch = 1,

    /// <summary>The receiver got a different number of bytes than the sender announced.</summary>
    LengthMismatch = 2,

    /// <summary>The receiving sink (the target VF's resuming stream) threw.</summary>
    SinkFailed = 3,

    /// <summary>The connection ended before the final End frame.</summary>
    Truncated = 4,

    /// <summary>The peer (or the local source or sink) made no progress within the idle timeout.</summary>
    IdleTimeout = 5,

    /// <summary>The other side aborted the transfer; the detail says why.</summary>
    Aborted = 6,

    /// <summary>The listener refused the connection (see <see cref="StateTransferRefusal"/>).</summary>
    Refused = 7,

    /// <summary>A frame broke the protocol (unknown type, bad length, unexpected order).</summary>
    ProtocolError = 8,

    /// <summary>The sending source (the source VF's saving stream) threw.</summary>
    SourceFailed = 9,

    /// <summary>The local side was cancelled or disposed.</summary>
    Cancelled = 10,

    /// <summary>The connection broke (reset, refused, unreachable) without a reason from the peer.</summary>
    ConnectionLost = 11,
}
