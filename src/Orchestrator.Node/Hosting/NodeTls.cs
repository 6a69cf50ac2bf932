using Orchestrator.Cluster.Security;

namespace Orchestrator.Node.Hosting;

/// <summary>The node's TLS identity, or none when <c>tls.mode</c> is off: one instance per node process.</summary>
/// <param name="Identity">Certificate, key and CA; null = clear text.</param>
public sealed record NodeTls(TlsIdentity? Identity) : IDisposable
{
    /// <summary>Loads the identity <paramref name="options"/> configure (validated before: files exist and chain).</summary>
    public static NodeTls Load(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options is { TlsEnabled: true, TlsCertificate: { } certificate, TlsKey: { } key, TlsCa: { } ca }
            ? new NodeTls(TlsIdentity.Load(certificate, key, ca))
            : new NodeTls((TlsIdentity?)null);
    }

    /// <inheritdoc />
    public void Dispose() => Identity?.Dispose();
}
