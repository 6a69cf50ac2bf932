namespace Orchestrator.Node.Api;

// The wire shapes of the request bodies, named in the OpenAPI document (DocumentsBody<T>). The endpoints read their
// bodies strictly themselves (RequestBody: unknown fields and bad values are 400 naming them), so these only document.

/// <summary>
/// Endpoint metadata: the request body's shape for the OpenAPI document only. Unlike <c>Accepts&lt;T&gt;</c> it does not
/// route on Content-Type, so a body sent without one (as <c>curl -d</c> sends it) is still read, and judged, as JSON.
/// </summary>
public sealed record DocumentedBody(Type Type, bool Required);

/// <summary>Declares <see cref="DocumentedBody"/>.</summary>
public static class DocumentedBodyExtensions
{
    /// <summary>Documents <typeparamref name="T"/> as the endpoint's JSON request body.</summary>
    public static RouteHandlerBuilder DocumentsBody<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.WithMetadata(new DocumentedBody(typeof(T), required));
}

/// <summary>Body of <c>POST /migrations</c>: the workload, an optional target host, an optional policy.</summary>
public sealed record StartMigrationBody(string Workload, string? Target = null, PolicyBody? Policy = null);

/// <summary>The <c>policy</c> of a migration request, each field optional, laid over the node's <c>policy.*</c> defaults.</summary>
public sealed record PolicyBody(
    double? DowntimeLimitMs = null,
    long? BandwidthBytesPerSecond = null,
    int? MaxPreCopyRounds = null,
    double? CompletionTimeoutPerGiBSeconds = null,
    double? ProgressTimeoutSeconds = null,
    string? NonConvergenceAction = null,
    double? SwitchoverAckWaitMs = null);

/// <summary>Body of <c>POST /placement</c>: where would a migration of the workload go (to the target host, if given).</summary>
public sealed record PlacementBody(string Workload, string? Target = null);

/// <summary>Body of <c>POST /vfs</c>: the PF, the VF's kind (<c>vfio</c> or <c>kernel</c>) and profile, an optional workload and index.</summary>
public sealed record CreateVfBody(string Pf, string Kind, string Profile, string? Workload = null, int? Index = null);

/// <summary>Body of <c>POST /hosts/{id}/cordon</c> (optional): why.</summary>
public sealed record CordonBody(string? Reason = null);
