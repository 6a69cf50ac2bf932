namespace Orchestrator.Node.Api;

/// <summary>The answer to <c>POST /vfs</c> and <c>DELETE /vfs/{id}</c>.</summary>
public sealed record VfChangeResource(string Id, string Pf, string? Kind, string? Profile, string? Workload, bool Exists);
