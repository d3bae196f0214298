using Tunnel.Central.Towers;
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
