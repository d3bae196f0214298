namespace Tunnel.WebConsole;

/// <summary>The "Tunnel:Console" configuration section.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Tunnel:Console";

    /// <summary>Password of the first admin. Empty: a random one is made and logged once.</summary>
    public string? AdminPassword { get; set; }
    /// <summary>How times are shown (IANA id).</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";
    public int MaxFailedLogins { get; set; } = 5;
    public int LockoutMinutes { get; set; } = 15;
    public int SessionHours { get; set; } = 12;
    /// <summary>The speech synthesiser; a bare name is looked up on PATH.</summary>
    public string Espeak { get; set; } = "espeak-ng";
    public int SnapshotIntervalMs { get; set; } = 1000;
    /// <summary>Filled from Tunnel:DataDirectory: keys, speech cache.</summary>
    public string DataDirectory { get; set; } = "data";
}
