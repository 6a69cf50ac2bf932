namespace Orchestrator.Cluster.Transfer;

/// <summary>First byte of every state-stream frame (see <see cref="StateStreamProtocol"/>). Never renumber.</summary>
internal enum FrameType : byte
{
    /// <summary>sender → target: version, epoch, token, migration id. Must be the first frame.</summary>
    Hello = 1,

    /// <summary>target → sender: the Hello was accepted; data may follow.</summary>
    Accepted = 2,

    /// <summary>sender → target: a chunk of payload bytes.</summary>
    Data = 3,

    /// <summary>sender → target: end of a segment with cumulative byte count, checksum and a last flag.</summary>
    End = 4,

    /// <summary>target → sender: verdict on a segment (ok or a failure with reason).</summary>
    Ack = 5,

    /// <summary>target → connecting peer: handshake refused, with the reason; the connection then closes.</summary>
    Refused = 6,

    /// <summary>either way: the transfer is abandoned, with the reason; the connection then closes.</summary>
    Abort = 7,
}
