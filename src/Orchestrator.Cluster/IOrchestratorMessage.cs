namespace Orchestrator.Cluster;

/// <summary>
/// Marker of every message that crosses nodes (actor protocols, envelopes). Bound to Hyperion in
/// <see cref="Hosting.OrchestratorConfig"/>; persisted events never use it (they have their own serializer).
/// </summary>
public interface IOrchestratorMessage;
