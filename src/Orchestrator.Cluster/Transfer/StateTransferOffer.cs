namespace Orchestrator.Cluster.Transfer;

/// <summary>
/// Where and how a source PF may stream one migration's device state to the target PF: the target's listener
/// endpoint and a one-time token. The target PF actor sends it to the coordinator, which hands it to the source;
/// plain strings and numbers only, so any serializer carries it.
/// </summary>
/// <param name="Host">Address the target listener is bound to (an IP literal, e.g. <c>127.0.0.1</c>).</param>
/// <param name="Port">TCP port the target listener got from the OS.</param>
/// <param name="Token">One-time secret the sender must present in its Hello frame (base64url, 256 bits).</param>
/// <param name="MigrationId">Migration the listener serves; a Hello for another migration is refused.</param>
/// <param name="Epoch">Epoch of that migration; a Hello from another epoch is refused (fencing).</param>
public sealed record StateTransferOffer(string Host, int Port, string Token, string MigrationId, long Epoch)
{
    /// <summary>The offer without its secret, for logs.</summary>
    public override string ToString() => $"StateTransferOffer {{ {MigrationId}#{Epoch} at {Host}:{Port} }}";
}
