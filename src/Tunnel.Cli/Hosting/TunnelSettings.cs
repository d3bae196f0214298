using Tunnel.Central.Towers;
using Tunnel.Mqtt;
using Tunnel.Storage;

namespace Tunnel.Cli.Hosting;

/// <summary>The "Tunnel" section of appsettings.json; every key can be overridden as an environment variable (TUNNEL__BROKER__PORT=1883).</summary>
public sealed class TunnelSettings
{
    public string DataDirectory { get; set; } = "data";
    /// <summary>Sites file (JSON); none means the 猫狸岭 reference deployment.</summary>
    public string? SitesFile { get; set; }
    public HttpSettings Http { get; set; } = new();
    public BrokerSettings Broker { get; set; } = new();
    public DatabaseSettings Database { get; set; } = new();
    public RetentionSettings Retention { get; set; } = new();
    /// <summary>How long an agent must stay offline before its agent-offline alarm is raised; 0 raises it at once.</summary>
    public int AgentOfflineDelaySeconds { get; set; } = 30;
    /// <summary>Seconds without a status after which an agent that said it was online counts as offline (it sends one every 10 s).</summary>
    public int AgentSilentSeconds { get; set; } = 60;
    /// <summary>Beacons and sirens over Modbus TCP (none by default); see hardware/README.md.</summary>
    public List<AlarmTowerSettings> AlarmTowers { get; set; } = [];
}

public sealed class HttpSettings
{
    /// <summary>Loopback only unless configured otherwise.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";
}

public sealed class BrokerSettings
{
    /// <summary>Start a private mosquitto in the data directory (true), or use the broker at Host:Port.</summary>
    public bool Embedded { get; set; } = true;
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 18830;
    public string Username { get; set; } = "central";
    /// <summary>For an external broker. The embedded one generates passwords and keeps them in the data directory.</summary>
    public string? Password { get; set; }
    /// <summary>An external broker over TLS: the CA (PEM) that signed its certificate, which must name Host. Unset: plain TCP.</summary>
    public string? CaFile { get; set; }
    /// <summary>With <see cref="KeyFile"/>: a client certificate (PEM), for an external broker that asks for one.</summary>
    public string? CertFile { get; set; }
    public string? KeyFile { get; set; }
    /// <summary>The private broker's TLS listener for edge agents on the network; the service itself stays on Host:Port.</summary>
    public NetworkListenerSettings NetworkListener { get; set; } = new();

    public MqttTls? Tls => MqttTls.FromSettings(CaFile, CertFile, KeyFile);

    /// <summary>Every TLS setting the host cannot start with, each naming its key; empty when none.</summary>
    public List<string> TlsProblems()
    {
        var problems = new List<string>();
        var listener = NetworkListener;
        if (Embedded)
        {
            if (!string.IsNullOrEmpty(CaFile) || !string.IsNullOrEmpty(CertFile) || !string.IsNullOrEmpty(KeyFile))
                problems.Add("Tunnel:Broker:CaFile, CertFile and KeyFile are for an external broker (Tunnel:Broker:Embedded false): the service reaches " +
                    "its private broker on Host:Port; edge agents get TLS from Tunnel:Broker:NetworkListener");
            if (listener.IsOn)
            {
                if (string.IsNullOrEmpty(listener.CertFile) || string.IsNullOrEmpty(listener.KeyFile))
                    problems.Add("Tunnel:Broker:NetworkListener:CertFile and KeyFile are required: the network listener speaks TLS only");
                if (listener.Port is < 0 or > 65535) problems.Add($"Tunnel:Broker:NetworkListener:Port {listener.Port} is not a TCP port");
                Missing("Tunnel:Broker:NetworkListener:CertFile", listener.CertFile);
                Missing("Tunnel:Broker:NetworkListener:KeyFile", listener.KeyFile);
                Missing("Tunnel:Broker:NetworkListener:ClientCaFile", listener.ClientCaFile);
            }
        }
        else
        {
            if (listener.IsOn)
                problems.Add("Tunnel:Broker:NetworkListener is for the private broker (Tunnel:Broker:Embedded true); an external broker has listeners of its own");
            problems.AddRange(MqttTls.SettingsProblems("Tunnel:Broker", CaFile, CertFile, KeyFile));
        }
        return problems;

        void Missing(string key, string? file)
        {
            if (!string.IsNullOrEmpty(file) && !File.Exists(file)) problems.Add($"{key} '{file}' does not exist");
        }
    }
}

/// <summary>
/// A second listener of the private broker, with TLS 1.2 or later, where edge agents on the control network reach it
/// (the same logins and ACL as on Host:Port, which stays plain for the service on this machine). Off while Host is unset.
/// </summary>
public sealed class NetworkListenerSettings
{
    /// <summary>The address the agents connect to, which the certificate must name (10.20.0.5).</summary>
    public string? Host { get; set; }
    public int Port { get; set; } = 8883;
    /// <summary>The broker's certificate (PEM), and its key, readable by the service's user only.</summary>
    public string? CertFile { get; set; }
    public string? KeyFile { get; set; }
    /// <summary>Set: agents must also present a certificate this CA (PEM) signed.</summary>
    public string? ClientCaFile { get; set; }

    public bool IsOn => !string.IsNullOrEmpty(Host);

    public MosquittoTlsListener? Listener => IsOn ? new MosquittoTlsListener(Host!, Port, CertFile!, KeyFile!)
        { ClientCaFile = string.IsNullOrEmpty(ClientCaFile) ? null : ClientCaFile } : null;
}

public sealed class DatabaseSettings
{
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;
    /// <summary>Empty with SQLite: tunnel.db in the data directory.</summary>
    public string? ConnectionString { get; set; }
}

public sealed class RetentionSettings
{
    /// <summary>Plates older than this are blanked everywhere (personal data). 0 keeps them.</summary>
    public int PlateDays { get; set; } = 90;
    /// <summary>Rejected messages older than this are deleted: kept for inspection, not for ever. 0 keeps them.</summary>
    public int DeadLetterDays { get; set; } = 30;
}

/// <summary>Settings the host refuses to start with: each line names its configuration key.</summary>
public sealed class ConfigurationProblem(IReadOnlyList<string> problems)
    : Exception("configuration: " + string.Join(Environment.NewLine + "configuration: ", problems));
