using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Cluster.Security;

/// <summary>
/// A node's TLS identity: its certificate with the private key, and the CA that every peer's certificate must chain to.
/// One identity serves Akka remoting (mutual TLS), the HTTP API (HTTPS) and the state stream (mutual TLS). Peers are
/// trusted by CA only: the CA of a cluster signs node certificates and nothing else, so a certificate of that CA is a
/// node of that cluster, whatever address it dials from.
/// </summary>
public sealed class TlsIdentity : IDisposable
{
    private readonly X509Certificate2Collection _authority;
    private readonly X509ChainPolicy _policy;

    private TlsIdentity(X509Certificate2 certificate, X509Certificate2Collection authority)
    {
        Certificate = certificate;
        _authority = authority;
        // Trust this CA alone (not the machine's store); no revocation lists in a cluster's own CA.
        _policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        _policy.CustomTrustStore.AddRange(authority);
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates peers must chain to.</summary>
    public IReadOnlyList<X509Certificate2> Authority => [.. _authority];

    /// <summary>
    /// Loads PEM files: the certificate (optionally followed by its chain), its private key, and the CA bundle. Every
    /// problem is an <see cref="ArgumentException"/> that names the file and the config key.
    /// </summary>
    public static TlsIdentity Load(string certificatePath, string keyPath, string authorityPath)
    {
        foreach (var (key, path) in new[] { ("tls.certificate", certificatePath), ("tls.key", keyPath), ("tls.ca", authorityPath) })
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"{key}: file '{path}' does not exist");
            }
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"tls.certificate, tls.key: '{certificatePath}' with key '{keyPath}' is not a PEM certificate and its private key: {e.Message}", e);
        }

        var authority = new X509Certificate2Collection();
        try
        {
            authority.ImportFromPemFile(authorityPath);
        }
        catch (CryptographicException e)
        {
            certificate.Dispose();
            throw new ArgumentException($"tls.ca: '{authorityPath}' is not a PEM certificate bundle: {e.Message}", e);
        }

        if (authority.Count == 0)
        {
            certificate.Dispose();
            throw new ArgumentException($"tls.ca: '{authorityPath}' holds no certificate");
        }

        var identity = new TlsIdentity(certificate, authority);
        if (!identity.IsTrusted(certificate))
        {
            var subject = certificate.Subject;
            identity.Dispose();
            throw new ArgumentException($"tls.certificate: '{certificatePath}' ({subject}) does not chain to the CA in tls.ca '{authorityPath}' (or is expired): its peers would refuse it");
        }

        return identity;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to this identity's CA and is valid now (no revocation lists here).</summary>
    public bool IsTrusted(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain { ChainPolicy = _policy.Clone() };
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return chain.Build(leaf);
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }
    }

    /// <summary>A validation callback for <see cref="SslStream"/> and HTTP clients: trusted when it chains to the CA.</summary>
    public bool Validate(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => IsTrusted(certificate);

    /// <summary>Server side of a mutual-TLS stream: presents this certificate and requires a trusted client certificate.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateRequired = true,
        RemoteCertificateValidationCallback = Validate,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
    };

    /// <summary>Client side of a mutual-TLS stream to <paramref name="host"/>: presents this certificate, requires a trusted server.</summary>
    public SslClientAuthenticationOptions ClientOptions(string host) => new()
    {
        TargetHost = host,
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = Validate,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var ca in _authority)
        {
            ca.Dispose();
        }
    }
}
