namespace Orchestrator.Cluster.Transfer;

/// <summary>What the target said in an Ack or Abort frame, as the sender's read loop parsed it.</summary>
internal sealed record PeerVerdict(StateTransferOutcome Outcome, string? Detail, long Bytes, UInt128 Checksum);
