namespace Orchestrator.Cluster.Transfer;

/// <summary>A parsed Hello frame (see <see cref="StateStreamProtocol"/>).</summary>
internal readonly record struct HelloFrame(byte[] Token, string MigrationId, long Epoch, string? TraceParent = null);
