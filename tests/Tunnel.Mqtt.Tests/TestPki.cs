using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Mqtt.Tests;

/// <summary>
/// A certificate authority made for one test, and certificates it signs, written as PEM files (keys PKCS#8,
/// owner-only) into a temporary folder that goes with it: nothing of it is committed or outlives the test.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;

    public TestPki(string name = "Tunnel test CA")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("tunnel-pki-").FullName;
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        CaFile = Path.Combine(Directory, "ca.crt");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    public string Directory { get; }
    public string CaFile { get; }

    /// <summary>A server certificate for 127.0.0.1 and localhost, the names the tests connect to, or for <paramref name="dnsName"/> alone.</summary>
    public (string CertFile, string KeyFile) IssueServer(string name = "server", string? dnsName = null) =>
        Issue(name, new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), names =>
        {
            if (dnsName is not null)
            {
                names.AddDnsName(dnsName);
                return;
            }

            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
        });

    public (string CertFile, string KeyFile) IssueClient(string name) =>
        Issue(name, new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication"), _ => { });

    private (string CertFile, string KeyFile) Issue(string name, Oid usage, Action<SubjectAlternativeNameBuilder> addNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        addNames(names);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(16));
        var certFile = Path.Combine(Directory, name + ".crt");
        var keyFile = Path.Combine(Directory, name + ".key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(keyFile, options)) writer.Write(key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
