using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Chaos.Processes;

/// <summary>
/// A throwaway certificate authority for local clusters and tests: a CA and node certificates (ECDSA P-256, valid for
/// 30 days, server and client use) written as PEM files, the form a node's <c>tls.*</c> keys read. Production clusters
/// bring their own CA (README: TLS).
/// </summary>
public sealed class LocalAuthority : IDisposable
{
    private readonly ECDsa _key;
    private readonly X509Certificate2 _certificate;

    private LocalAuthority(string directory, ECDsa key, X509Certificate2 certificate)
    {
        Directory = directory;
        _key = key;
        _certificate = certificate;
        CaPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaPath, certificate.ExportCertificatePem() + "\n");
    }

    /// <summary>Where the files go.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (PEM): <c>tls.ca</c>.</summary>
    public string CaPath { get; }

    /// <summary>A new CA named <paramref name="name"/> whose files go to <paramref name="directory"/>.</summary>
    public static LocalAuthority Create(string directory, string name = "orchestrator local CA")
    {
        System.IO.Directory.CreateDirectory(directory);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new LocalAuthority(directory, key, request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)));
    }

    /// <summary>
    /// Issues a certificate for node <paramref name="name"/>, valid for <paramref name="hosts"/> (IP addresses or DNS
    /// names), and writes <c>NAME.crt</c> and <c>NAME.key</c> (mode 0600); returns their paths.
    /// </summary>
    public (string Certificate, string Key) Issue(string name, IEnumerable<string> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts.Append("localhost").Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(host);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(_certificate, now.AddDays(-1), now.AddDays(29), serial);
        var certificatePath = Path.Combine(Directory, name + ".crt");
        var keyPath = Path.Combine(Directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certificatePath, keyPath);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
    }
}
