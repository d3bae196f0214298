namespace Tunnel.Mqtt;

/// <summary>Configuration of a private Debian mosquitto run by <see cref="MosquittoBroker"/>.</summary>
public sealed record MosquittoBrokerOptions
{
    /// <summary>Holds the configuration, password file, ACL, persistence database and log. Null: a new temporary directory, deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The only address listened on; keep it loopback unless edge agents on other machines must reach it.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// A second listener, with TLS, for clients on other machines (edge agents), while the one at
    /// <see cref="Host"/>:<see cref="Port"/> stays plain for the clients on this one. Null: none.
    /// </summary>
    public MosquittoTlsListener? TlsListener { get; init; }

    /// <summary>User name to clear-text password; stored hashed with mosquitto_passwd.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>Nothing is allowed that no rule allows. Empty: every user may use every topic.</summary>
    public IReadOnlyList<MosquittoAclRule> Acl { get; init; } = [];

    /// <summary>Larger packets are refused (and announced to MQTT 5 clients, which refuse to send them).</summary>
    public int MaxPacketSize { get; init; } = 256 * 1024;

    /// <summary>QoS 1/2 messages kept per absent persistent session; mosquitto's own default (1000) is short for a central service that is down for an hour.</summary>
    public int MaxQueuedMessages { get; init; } = 100_000;

    /// <summary>
    /// Save the database after every change, so a crash loses no acknowledged message (mosquitto's
    /// default autosave loses them). Costs a database rewrite per change: measured here, QoS 1
    /// through a subscriber fell from about 9,000 to about 250-550 messages/s. Plenty for a site
    /// (a busy bore makes about one passage a second), not for a province.
    /// </summary>
    public bool SaveOnEveryChange { get; init; } = true;

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the <see cref="TlsListener"/>'s certificate and key files are checked for a renewal (<see cref="MosquittoBroker.ReloadIfTlsFilesChangedAsync"/>).</summary>
    public TimeSpan TlsFileCheckInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// A listener that speaks only TLS 1.2 or later (mosquitto's certfile, keyfile, tls_version). The same users,
/// passwords and ACL apply as on the plain listener. PEM files, read by the broker's own user.
/// </summary>
/// <param name="Port">0 picks a free port.</param>
public sealed record MosquittoTlsListener(string Host, int Port, string CertFile, string KeyFile)
{
    /// <summary>Set: every client must also present a certificate signed by this CA (mosquitto's cafile and require_certificate).</summary>
    public string? ClientCaFile { get; init; }

    internal IEnumerable<string> Files => new[] { CertFile, KeyFile, ClientCaFile }.OfType<string>();
}

public enum MqttTopicAccess
{
    Read,
    Write,
    ReadWrite,
    Deny,
}

/// <summary>
/// One line of mosquitto's ACL. With a <see cref="User"/> the topic is literal for that user;
/// without, it is a pattern for every user in which %u is the user name and %c the client id.
/// </summary>
public sealed record MosquittoAclRule(string? User, MqttTopicAccess Access, string Topic)
{
    public static MosquittoAclRule ForUser(string user, MqttTopicAccess access, string topic) => new(user, access, topic);

    public static MosquittoAclRule ForEveryone(MqttTopicAccess access, string pattern) => new(null, access, pattern);

    internal string AccessKeyword => Access switch
    {
        MqttTopicAccess.Read => "read",
        MqttTopicAccess.Write => "write",
        MqttTopicAccess.ReadWrite => "readwrite",
        MqttTopicAccess.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(Access)),
    };
}
