using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Cluster.Tracing;

/// <summary>
/// Traces of migrations (OpenTelemetry through <see cref="ActivitySource"/>): one trace per migration, whose trace id is
/// derived from the migration id, so that every process's spans of a migration land in the same trace, also those of a
/// coordinator recovered on another node (a trace context is never journaled). The start of a migration is the trace's
/// root; a coordinator's step spans are its children while that coordinator lives; a PF's spans are children of the
/// coordinator step that sent the command (<see cref="Pfs.PfProtocol.Traced"/>). Nothing is recorded unless the node
/// exports traces (<c>tracing.*</c>): without a listener <see cref="Start"/> answers null.
/// </summary>
public static class MigrationTracing
{
    /// <summary>The name of the activity source (what an OpenTelemetry tracer provider adds).</summary>
    public const string SourceName = "Orchestrator";

    /// <summary>Attribute names, under the <c>orchestrator.</c> namespace.</summary>
    public const string MigrationAttribute = "orchestrator.migration.id";
    public const string EpochAttribute = "orchestrator.migration.epoch";
    public const string StepAttribute = "orchestrator.step";
    public const string RoundAttribute = "orchestrator.precopy.round";
    public const string PfAttribute = "orchestrator.pf";
    public const string WorkloadAttribute = "orchestrator.workload";
    public const string BytesAttribute = "orchestrator.bytes";
    public const string OutcomeAttribute = "orchestrator.outcome";

    /// <summary>The source every span of the orchestrator comes from.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(MigrationTracing).Assembly.GetName().Version?.ToString());

    /// <summary>The trace id of <paramref name="migration"/>: the first 16 bytes of the SHA-256 of its id.</summary>
    public static ActivityTraceId TraceIdOf(MigrationId migration)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(migration.ToString()), hash);
        return ActivityTraceId.CreateFromBytes(hash[..16]);
    }

    /// <summary>
    /// Starts a span of <paramref name="migration"/>: under <paramref name="parent"/> (a W3C <c>traceparent</c>) when it is
    /// of this migration's trace, else as a root of that trace. Null when nothing listens. The span is not made the
    /// thread's current one: actors interleave many migrations on one thread.
    /// </summary>
    public static Activity? Start(string name, MigrationId migration, Epoch? epoch, string? parent = null, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var trace = TraceIdOf(migration);
        var context = parent is not null && ActivityContext.TryParse(parent, null, out var parsed) && parsed.TraceId == trace
            ? parsed
            : new ActivityContext(trace, default, ActivityTraceFlags.Recorded);
        // Without a current activity: a root (no parent span id) would otherwise take the caller's, say an HTTP
        // request's, as its parent when it starts.
        var previous = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity(name, kind, context);
        Activity.Current = previous;
        if (activity is null)
        {
            return null;
        }

        activity.SetTag(MigrationAttribute, migration.ToString());
        if (epoch is { } e)
        {
            activity.SetTag(EpochAttribute, e.Value);
        }

        return activity;
    }

    /// <summary>Ends <paramref name="activity"/> with an error status saying why (null: it succeeded).</summary>
    public static void End(Activity? activity, string? error = null)
    {
        if (activity is null)
        {
            return;
        }

        if (error is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, error);
        }
        else if (activity.Status == ActivityStatusCode.Unset)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }

        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous == activity ? null : previous;
    }
}
