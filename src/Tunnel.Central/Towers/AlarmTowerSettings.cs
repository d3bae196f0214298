using Tunnel.Central.Service;
using Tunnel.Core.Contracts;

namespace Tunnel.Central.Towers;

/// <summary>What lights an output of an alarm tower, after ISA-18.2's annunciation.</summary>
public enum TowerSignal
{
    /// <summary>An alarm is active, acknowledged or not (a steady lamp).</summary>
    Active,
    /// <summary>An alarm waits for acknowledgement, active or already cleared (a flashing lamp).</summary>
    Unacknowledged,
    /// <summary>An active alarm waits for acknowledgement (a siren or buzzer, silenced by acknowledging).</summary>
    Audible,
}

/// <summary>One output of a tower: a coil, or a holding register written with one value for on and another for off.</summary>
public sealed class TowerOutput
{
    public TowerSignal Signal { get; set; }
    /// <summary>The lowest priority that lights it; unset: high for <see cref="TowerSignal.Audible"/>, low otherwise.</summary>
    public AlarmPriority? MinPriority { get; set; }
    public ushort? Coil { get; set; }
    public ushort? Register { get; set; }
    public ushort OnValue { get; set; } = 1;
    public ushort OffValue { get; set; }

    public AlarmPriority LowestPriority => MinPriority ?? (Signal == TowerSignal.Audible ? AlarmPriority.High : AlarmPriority.Low);

    public bool LitBy(AlarmView alarm) =>
        alarm.Priority <= LowestPriority && Signal switch
        {
            TowerSignal.Active => alarm.State is AlarmState.ActiveUnacknowledged or AlarmState.ActiveAcknowledged,
            TowerSignal.Unacknowledged => alarm.State is AlarmState.ActiveUnacknowledged or AlarmState.ClearedUnacknowledged,
            TowerSignal.Audible => alarm.State is AlarmState.ActiveUnacknowledged,
            _ => false,
        };

    public override string ToString() => Coil is { } coil ? $"coil {coil}" : $"register {Register}";
}

/// <summary>
/// An alarm tower (signal tower, beacon, siren) or an IO module driving them, reached over Modbus TCP:
/// the <c>Tunnel:AlarmTowers</c> list of appsettings.json. It shows the alarms of one site, or one bore, or all.
/// </summary>
public sealed class AlarmTowerSettings
{
    public string Id { get; set; } = "";
    public string Host { get; set; } = "";
    public int Port { get; set; } = 502;
    /// <summary>The Modbus unit: behind a gateway the serial device's address; a device on TCP itself often takes any (255 is the guide's advice).</summary>
    public byte UnitId { get; set; } = 1;
    /// <summary>Only this site's alarms; unset: every site's.</summary>
    public string? Site { get; set; }
    /// <summary>Only this bore's alarms (with <see cref="Site"/>); unset: the whole site's.</summary>
    public string? Bore { get; set; }
    public List<TowerOutput> Outputs { get; set; } = [];
    /// <summary>
    /// Every output is written again this often, so a module that was power-cycled shows the alarms again and one
    /// whose communication watchdog falls back to a safe state while the service is gone stays in step.
    /// </summary>
    public double RefreshSeconds { get; set; } = 5;

    public bool Covers(AlarmView alarm) =>
        (Site is null || alarm.Bore.Site == Site) && (Bore is null || alarm.Bore.Bore == Bore);

    /// <summary>What is wrong with the list itself, one line per problem naming its key; empty when it can be used.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<AlarmTowerSettings> towers)
    {
        var problems = new List<string>();
        for (var i = 0; i < towers.Count; i++)
        {
            var t = towers[i];
            var key = Key(i);
            // The id names the tower in metrics' labels and the console's addresses.
            if (!System.Text.RegularExpressions.Regex.IsMatch(t.Id, "^[A-Za-z0-9._-]{1,64}$")) problems.Add($"{key}:Id '{t.Id}' needs 1 to 64 letters, digits, '.', '_' or '-'");
            else if (towers.Take(i).Any(o => o.Id == t.Id)) problems.Add($"{key}:Id '{t.Id}' is used twice");
            if (string.IsNullOrWhiteSpace(t.Host)) problems.Add($"{key}:Host is required");
            if (t.Port is < 1 or > 65535) problems.Add($"{key}:Port {t.Port} is not a TCP port");
            if (t.RefreshSeconds is < 0.5 or > 3600) problems.Add($"{key}:RefreshSeconds {t.RefreshSeconds} is outside 0.5..3600");
            if (t.Bore is not null && t.Site is null) problems.Add($"{key}:Bore needs a Site");
            if (t.Outputs.Count == 0) problems.Add($"{key}:Outputs is empty");
            for (var j = 0; j < t.Outputs.Count; j++)
                if (t.Outputs[j].Coil.HasValue == t.Outputs[j].Register.HasValue)
                    problems.Add($"{key}:Outputs:{j} needs either a Coil or a Register");
        }
        return problems;
    }

    /// <summary>Why this tower shows nothing whatever the alarms: a site or bore the sites in force do not have (a typo, or retired in the console).</summary>
    public string? SiteProblem(SitesFile sites)
    {
        if (Site is null) return null;
        if (sites.Sites.FirstOrDefault(s => s.Id == Site) is not { } site) return $"Site '{Site}' is not one of the sites";
        return Bore is not null && site.Bores.All(b => b.Id != Bore) ? $"Bore '{Bore}' is not a bore of {Site}" : null;
    }

    public static IReadOnlyList<string> SiteProblems(IReadOnlyList<AlarmTowerSettings> towers, SitesFile sites) =>
        towers.Select((t, i) => t.SiteProblem(sites) is { } problem ? $"{Key(i)}:{problem}" : null).OfType<string>().ToList();

    private static string Key(int index) => $"Tunnel:AlarmTowers:{index}";
}
