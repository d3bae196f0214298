namespace Tunnel.WebConsole;

/// <summary>The "Tunnel:Console" configuration section.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Tunnel:Console";

    /// <summary>Password of the first admin. Empty: a random one is made and logged once.</summary>
    public string? AdminPassword { get; set; }
    /// <summary>How times are shown (IANA id).</summary>
    public string TimeZone { get; set; } = DefaultTimeZone;
    public const string DefaultTimeZone = "Asia/Shanghai";
    /// <summary>Wrong passwords from one client address that lock that address out of the user for <see cref="LockoutMinutes"/>.</summary>
    public int MaxFailedLogins { get; set; } = 5;
    /// <summary>
    /// Wrong passwords from every address together that lock the user out everywhere for <see cref="LockoutMinutes"/>: guesses
    /// spread over many addresses get no more tries than this, while it takes that many addresses' worth of failures (ten) to
    /// lock the user out of the workstation they sign in at.
    /// </summary>
    public int MaxFailedLoginsAllAddresses { get; set; } = 50;
    public int LockoutMinutes { get; set; } = 15;
    public int SessionHours { get; set; } = 12;
    /// <summary>
    /// Login attempts one client address may make in a minute, whatever the user names: the lock-out stops guessing
    /// at one account, this stops trying a few passwords on every account, and each attempt costs a password hash.
    /// </summary>
    public int LoginAttemptsPerMinute { get; set; } = 30;
    /// <summary>
    /// A reverse proxy on this machine fronts the console: its X-Forwarded-For and X-Forwarded-Proto headers are then
    /// believed (from loopback only). Off by default, since without a proxy anyone signed in on the server machine could
    /// send the header and pose as any address, and so get around the per-address login limit and lock-out.
    /// </summary>
    public bool BehindProxy { get; set; }
    /// <summary>The speech synthesiser; a bare name is looked up on PATH.</summary>
    public string Espeak { get; set; } = "espeak-ng";
    public int SnapshotIntervalMs { get; set; } = 1000;
    /// <summary>Filled from Tunnel:DataDirectory: keys, speech cache.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>What is wrong with these options, each naming its configuration key; checked before anything starts.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!string.IsNullOrEmpty(AdminPassword) && AdminPassword.Length < Security.UserDirectory.MinPasswordLength)
            problems.Add($"{Section}:AdminPassword has {AdminPassword.Length} characters; passwords have at least {Security.UserDirectory.MinPasswordLength}");
        // China's zone has no daylight saving: without tzdata a fixed UTC+8 stands in for it exactly, and for no other.
        if (TimeZone != DefaultTimeZone && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            problems.Add($"{Section}:TimeZone '{TimeZone}' is no time zone this machine knows (an IANA id, such as {DefaultTimeZone})");
        if (MaxFailedLogins < 1) problems.Add($"{Section}:MaxFailedLogins must be at least 1");
        if (MaxFailedLoginsAllAddresses < MaxFailedLogins) problems.Add($"{Section}:MaxFailedLoginsAllAddresses must be at least MaxFailedLogins ({MaxFailedLogins})");
        if (LockoutMinutes < 1) problems.Add($"{Section}:LockoutMinutes must be at least 1");
        if (SessionHours < 1) problems.Add($"{Section}:SessionHours must be at least 1");
        if (LoginAttemptsPerMinute < 1) problems.Add($"{Section}:LoginAttemptsPerMinute must be at least 1");
        return problems;
    }
}
