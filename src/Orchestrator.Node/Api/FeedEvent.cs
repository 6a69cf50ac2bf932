namespace Orchestrator.Node.Api;

/// <summary>
/// One change for <c>GET /events</c>: <c>migration</c> or <c>host</c> (its id, the resource as it is now), or
/// <c>leftover</c> (a clean-up by a host reconciler of this node: its VF or PF id, the clean-up).
/// <paramref name="Position"/> is the journal ordering of the migration event this view is as of (its durable event
/// id), or null for what the journal does not order: hosts, leftovers, a migration's queue position.
/// </summary>
public sealed record FeedEvent(string Kind, string Id, object Resource, long? Position = null);
