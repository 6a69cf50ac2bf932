namespace Orchestrator.Node.Api;

/// <summary>One change for <c>GET /events</c>: <c>migration</c> or <c>host</c>, its id, and the resource as it is now.</summary>
public sealed record FeedEvent(string Kind, string Id, object Resource);
