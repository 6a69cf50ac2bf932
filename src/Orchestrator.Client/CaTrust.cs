using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Client;

/// <summary>
/// Trust in a cluster's own CA for HTTPS: a node's certificate is accepted when it chains to the CA in a PEM file
/// (<c>--ca</c>, <c>ORCHESTRATOR_CA</c>), whatever the machine's trust store says.
/// </summary>
public static class CaTrust
{
    /// <summary>A handler whose TLS accepts servers whose certificate chains to the CA in <paramref name="caFile"/>.</summary>
    /// <exception cref="ArgumentException">The file is missing or holds no PEM certificate (the message names it).</exception>
    public static SocketsHttpHandler Handler(string caFile)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(Load(caFile));
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => Chains(policy, certificate),
            },
        };
    }

    /// <summary>The CA certificates in <paramref name="caFile"/> (PEM).</summary>
    public static X509Certificate2Collection Load(string caFile)
    {
        if (!File.Exists(caFile))
        {
            throw new ArgumentException($"CA file '{caFile}' does not exist");
        }

        var authority = new X509Certificate2Collection();
        try
        {
            authority.ImportFromPemFile(caFile);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"CA file '{caFile}' is not a PEM certificate bundle: {e.Message}", e);
        }

        return authority.Count > 0 ? authority : throw new ArgumentException($"CA file '{caFile}' holds no certificate");
    }

    /// <summary>Whether <paramref name="certificate"/> chains to a root of <paramref name="policy"/> and is valid now.</summary>
    private static bool Chains(X509ChainPolicy policy, X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain { ChainPolicy = policy.Clone() };
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
