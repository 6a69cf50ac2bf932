using System.Globalization;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Devices.Topology;

namespace Orchestrator.Node.Hosting;

/// <summary>
/// Checks <see cref="NodeOptions"/> before the node starts (and so before it joins a cluster). Every failure names the
/// key and the value (a token is never echoed); the cluster layer's own checks (<c>NodeSettings.Validate</c>) are
/// included, so one run shows every problem.
/// </summary>
public sealed class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    /// <summary>The shortest bearer token accepted from configuration.</summary>
    public const int MinTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem of <paramref name="options"/>; empty when valid.</summary>
    public static IReadOnlyList<string> Errors(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.PersistenceProvider is null)
        {
            errors.Add($"{NodeConfigKeys.Persistence}: '{options.Persistence}' is unknown; expected sqlite, postgres or memory");
        }

        if (DiscoveryMethods.Parse(options.Discovery) is null)
        {
            errors.Add($"{NodeConfigKeys.Discovery}: '{options.Discovery}' is unknown; expected config or kubernetes-api");
        }

        errors.AddRange(options.ToSettings().Validate());

        if (!Uri.TryCreate(options.ApiUrl, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https")
            || api.AbsolutePath != "/" || !string.IsNullOrEmpty(api.Query))
        {
            errors.Add($"{NodeConfigKeys.ApiUrl}: '{options.ApiUrl}' is not http://host:port");
        }

        errors.AddRange(TlsErrors(options, api));

        if (options.StateStreamPorts is { } ports && options.StateStreamPortRange is null)
        {
            errors.Add($"{NodeConfigKeys.StateStreamPorts}: '{ports}' is not FIRST-LAST (or one port), TCP ports from 1 to 65535, FIRST <= LAST");
        }

        if (options.Token is { } token && (token.Length < MinTokenLength || token.Any(c => c <= ' ' || c > '~')))
        {
            errors.Add($"{NodeConfigKeys.Token}: the configured token ({token.Length} characters) must be at least {MinTokenLength} printable ASCII characters without spaces");
        }

        if (options.TracingOtlpEndpoint is { } otlp && (!Uri.TryCreate(otlp, UriKind.Absolute, out var collector) || collector.Scheme is not ("http" or "https")))
        {
            errors.Add($"{NodeConfigKeys.TracingOtlpEndpoint}: '{otlp}' is not an http(s) URL of an OTLP collector");
        }

        if (options.ReadinessJournalGrace < TimeSpan.Zero)
        {
            errors.Add($"{NodeConfigKeys.ReadinessJournalGrace}: '{options.ReadinessJournalGrace}' must not be negative");
        }

        if (options.TracingFile is { Length: 0 })
        {
            errors.Add($"{NodeConfigKeys.TracingFile}: '' is empty");
        }

        if (options.TokenFile is { Length: 0 })
        {
            errors.Add($"{NodeConfigKeys.TokenFile}: '' is empty");
        }

        if (!double.IsFinite(options.LatencyScale) || options.LatencyScale < 0)
        {
            errors.Add($"{NodeConfigKeys.LatencyScale}: '{options.LatencyScale.ToString(CultureInfo.InvariantCulture)}' must be 0 or more");
        }

        if (options.SseHeartbeat <= TimeSpan.Zero)
        {
            errors.Add($"{NodeConfigKeys.SseHeartbeat}: '{options.SseHeartbeat}' must be positive");
        }

        if (options.StepTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{NodeConfigKeys.StepTimeout}: '{options.StepTimeout}' must be positive");
        }

        if (options.ReconcileInterval < TimeSpan.FromSeconds(1))
        {
            // Each run reads the migration index from a majority and asks every PF: not a busy loop.
            errors.Add($"{NodeConfigKeys.ReconcileInterval}: '{options.ReconcileInterval}' must be at least 1s");
        }

        foreach (var problem in options.DefaultPolicy.Validate())
        {
            errors.Add($"policy.*: {problem}");
        }

        foreach (var problem in options.Limits.Validate())
        {
            errors.Add($"limits.*: {problem}");
        }

        if (options.IdempotencyRetention < TimeSpan.FromMinutes(1))
        {
            // A scheduler retries a timed-out request within minutes; a shorter window would forget the key meanwhile.
            errors.Add($"{NodeConfigKeys.IdempotencyRetention}: '{options.IdempotencyRetention}' must be at least 1m");
        }

        if (options.IndexRetention < TimeSpan.Zero)
        {
            errors.Add($"{NodeConfigKeys.IndexRetention}: '{options.IndexRetention}' must not be negative");
        }

        if (options.IndexMaxEnded < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{NodeConfigKeys.IndexMaxEnded}: {options.IndexMaxEnded} must not be negative"));
        }

        if (options.Topology is { } path)
        {
            if (!File.Exists(path))
            {
                errors.Add($"{NodeConfigKeys.Topology}: file '{path}' does not exist");
            }
            else
            {
                var loaded = TopologyLoader.TryLoad(path);
                errors.AddRange(loaded.Errors.Select(e => $"{NodeConfigKeys.Topology}: {e}"));
            }
        }

        return errors;
    }

    private static IEnumerable<string> TlsErrors(NodeOptions options, Uri? api)
    {
        if (options.TlsMode is { } mode && mode.Trim().ToLowerInvariant() is not ("on" or "off"))
        {
            yield return $"{NodeConfigKeys.TlsMode}: '{mode}' is not on or off";
            yield break;
        }

        if (!options.TlsEnabled)
        {
            if (options.TlsMode is null && !options.StaysOnThisMachine)
            {
                yield return $"{NodeConfigKeys.TlsMode}: not set, and this node talks beyond this machine (node.hostname '{options.Hostname}', api.url '{options.ApiUrl}', contact points); give {NodeConfigKeys.TlsCertificate}, {NodeConfigKeys.TlsKey} and {NodeConfigKeys.TlsCa}, or set {NodeConfigKeys.TlsMode} = off to run in clear text";
            }

            if (api?.Scheme == "https")
            {
                yield return $"{NodeConfigKeys.ApiUrl}: '{options.ApiUrl}' is https, but TLS is off; give {NodeConfigKeys.TlsCertificate}, {NodeConfigKeys.TlsKey} and {NodeConfigKeys.TlsCa}";
            }

            yield break;
        }

        var missing = new[] { (NodeConfigKeys.TlsCertificate, options.TlsCertificate), (NodeConfigKeys.TlsKey, options.TlsKey), (NodeConfigKeys.TlsCa, options.TlsCa) }
            .Where(k => string.IsNullOrWhiteSpace(k.Item2)).Select(k => k.Item1).ToList();
        if (missing.Count > 0)
        {
            yield return $"{string.Join(", ", missing)}: not set; TLS is on and needs {NodeConfigKeys.TlsCertificate}, {NodeConfigKeys.TlsKey} and {NodeConfigKeys.TlsCa}";
            yield break;
        }

        if (api?.Scheme == "http")
        {
            yield return $"{NodeConfigKeys.ApiUrl}: '{options.ApiUrl}' is http, but TLS is on: use https://";
        }

        string? problem = null;
        try
        {
            using var identity = Cluster.Security.TlsIdentity.Load(options.TlsCertificate!, options.TlsKey!, options.TlsCa!);
        }
        catch (ArgumentException e)
        {
            problem = e.Message;
        }

        if (problem is not null)
        {
            yield return problem;
        }
    }
}
