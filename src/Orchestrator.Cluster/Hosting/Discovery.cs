using System.Globalization;

namespace Orchestrator.Cluster.Hosting;

/// <summary>Where Cluster Bootstrap finds the nodes' contact points.</summary>
public enum DiscoveryMethod
{
    /// <summary>A static list in the config (<c>cluster.contact-points</c>): the demo, systemd, hand-run nodes.</summary>
    Config,

    /// <summary>The Kubernetes API: the pods matching a label selector (the StatefulSet in <c>deploy/k8s</c>).</summary>
    KubernetesApi,
}

/// <summary>A node's management endpoint, <c>host:port</c>, as Cluster Bootstrap probes it.</summary>
/// <param name="Host">Host name or IP address (IPv6 in brackets).</param>
/// <param name="Port">TCP port.</param>
public sealed record ContactPoint(string Host, int Port)
{
    /// <summary>The contact point in <paramref name="text"/>, or null when it is not <c>host:port</c>.</summary>
    public static ContactPoint? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return null;
        }

        var host = text[..colon];
        var valid = int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535;
        return valid && Uri.CheckHostName(host.Trim('[', ']')) != UriHostNameType.Unknown ? new ContactPoint(host, port) : null;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}

/// <summary>Parses <see cref="DiscoveryMethod"/> as config files and flags spell it.</summary>
public static class DiscoveryMethods
{
    /// <summary>The config spelling of <paramref name="method"/>.</summary>
    public static string Name(DiscoveryMethod method) => method == DiscoveryMethod.KubernetesApi ? "kubernetes-api" : "config";

    /// <summary>The method spelled <paramref name="text"/> (<c>config</c> or <c>kubernetes-api</c>), or null.</summary>
    public static DiscoveryMethod? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "config" => DiscoveryMethod.Config,
        "kubernetes-api" or "kubernetes" => DiscoveryMethod.KubernetesApi,
        _ => null,
    };
}
