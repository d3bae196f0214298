namespace Tunnel.Mqtt;

/// <summary>
/// TLS for an <see cref="MqttClient"/>: TLS 1.2 or later, the broker's certificate verified against
/// <see cref="CaFile"/> and against the host name or address the client connects to. PEM files.
/// </summary>
/// <param name="CaFile">The certificate authority that signed the broker's certificate.</param>
public sealed record MqttTls(string CaFile)
{
    /// <summary>With <see cref="KeyFile"/>: a client certificate, for a broker that asks for one.</summary>
    public string? CertFile { get; init; }

    /// <summary>The client certificate's private key, unencrypted (a key with a passphrase is refused, not asked for on a terminal).</summary>
    public string? KeyFile { get; init; }

    /// <summary>TLS from three settings, an empty one as unset; null without a CA file (plain TCP).</summary>
    public static MqttTls? FromSettings(string? caFile, string? certFile, string? keyFile) =>
        string.IsNullOrEmpty(caFile) ? null : new MqttTls(caFile) { CertFile = NullIfEmpty(certFile), KeyFile = NullIfEmpty(keyFile) };

    /// <summary>What is wrong with such settings, each problem naming its key under <paramref name="section"/> ("Agent:Broker"); none when nothing is.</summary>
    public static IEnumerable<string> SettingsProblems(string section, string? caFile, string? certFile, string? keyFile)
    {
        if (string.IsNullOrEmpty(caFile))
        {
            if (!string.IsNullOrEmpty(certFile) || !string.IsNullOrEmpty(keyFile))
                yield return $"{section}:CertFile and KeyFile need {section}:CaFile: a client certificate is only sent over TLS";
            yield break;
        }
        if (string.IsNullOrEmpty(certFile) != string.IsNullOrEmpty(keyFile))
            yield return $"{section}:CertFile and {section}:KeyFile go together: give both or neither";
        foreach (var (key, file) in new[] { ("CaFile", caFile), ("CertFile", certFile), ("KeyFile", keyFile) })
            if (!string.IsNullOrEmpty(file) && !File.Exists(file))
                yield return $"{section}:{key} '{file}' does not exist";
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(CaFile);
        if (string.IsNullOrEmpty(CertFile) != string.IsNullOrEmpty(KeyFile))
        {
            throw new ArgumentException("A client certificate needs both CertFile and KeyFile.", nameof(CertFile));
        }
    }

    internal string Files => string.Join(", ", new[] { CaFile, CertFile, KeyFile }.Where(f => !string.IsNullOrEmpty(f)).Select(f => $"'{f}'"));
}
