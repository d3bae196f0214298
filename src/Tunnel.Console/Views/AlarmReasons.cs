using System.Globalization;
using System.Text.RegularExpressions;

namespace Tunnel.WebConsole.Views;

/// <summary>An alarm reason as a code and its parameters, for the console to say in the reader's language.</summary>
public sealed record ReasonParts(string Code, IReadOnlyDictionary<string, string> Args);

/// <summary>
/// The central service writes alarm reasons as English sentences (the alarm contract's free-text
/// <c>reason</c>). The console recognises the sentences it knows and hands the browser a code with
/// parameters; anything else (an operator's shelving reason, a sentence this build does not know)
/// has no code and is shown as written. Durations become seconds so the browser words them.
/// </summary>
public static partial class AlarmReasons
{
    private static readonly (Regex Pattern, string Code)[] Known =
    [
        (Overtaken(), "overdue-overtaken"),
        (OverTime(), "overdue-time"),
        (Congestion(), "congestion"),
        (new Regex("^traffic in the bore is back to its usual speed$"), "congestion-cleared"),
        (new Regex(@"^retracted: a late passage shows it left at (?<time>[0-9:]+), before the alarm$"), "retracted"),
        (new Regex(@"^left the bore at (?<time>[0-9:]+) by lane (?<lane>\d+)$"), "left"),
        (new Regex(@"^still inside (?<minutes>\d+) min after entry$"), "escalated"),
        (new Regex(@"^no longer tracked after (?<hours>\d+) h inside$"), "untracked"),
        (new Regex(@"^agent (?<agent>[a-z0-9_-]+) offline: (?<error>.+)$", RegexOptions.Singleline), "agent-offline-error"),
        (new Regex("^agent (?<agent>[a-z0-9_-]+) offline$"), "agent-offline"),
        (new Regex("^agent (?<agent>[a-z0-9_-]+) back online$"), "agent-online"),
        (new Regex("^agent (?<agent>[a-z0-9_-]+) stopped$"), "agent-stopped"),
        (new Regex("^the vehicle left while the central service was down$"), "left-while-down"),
        (new Regex("^shelf expired$"), "shelf-expired"),
        (new Regex(@"^a second vehicle, of lane (?<lane>\d+), may be the one inside: the unread exit at (?<time>[0-9:]+) fits both$"), "second-suspect"),
        (new Regex(@"^the other suspect left at (?<time>[0-9:]+), so this vehicle left unseen at (?<unseen>[0-9:]+)$"), "other-suspect-left"),
    ];

    public static ReasonParts? Parse(string? reason)
    {
        if (string.IsNullOrEmpty(reason)) return null;
        foreach (var (pattern, code) in Known)
        {
            var match = pattern.Match(reason);
            if (!match.Success) continue;
            var args = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var group in match.Groups.Values.Skip(1).Where(g => g.Success && !int.TryParse(g.Name, out _)))
                args[group.Name] = group.Name.EndsWith("Duration", StringComparison.Ordinal) ? Seconds(group.Value) : group.Value;
            return new ReasonParts(code, args);
        }
        return null;
    }

    /// <summary>"4.5 min" or "38 s", as the engine writes durations, in whole seconds.</summary>
    private static string Seconds(string duration)
    {
        var parts = duration.Split(' ');
        // The engine formats with the process culture: a decimal comma is the same number.
        var value = double.Parse(parts[0].Replace(',', '.'), CultureInfo.InvariantCulture);
        return Math.Round(parts[1] == "min" ? value * 60 : value).ToString(CultureInfo.InvariantCulture);
    }

    private const string Duration = @"[0-9.,]+ (?:min|s)";

    [GeneratedRegex(@"^(?<own>\d+) later entrant\(s\) of lane (?<lane>\d+) and (?<other>\d+) of other lanes already left; inside (?<insideDuration>" + Duration +
                    @") \(usual (?<usualDuration>" + Duration + @")\); evidence (?<evidence>[0-9.,]+)$")]
    private static partial Regex Overtaken();

    [GeneratedRegex(@"^inside (?<insideDuration>" + Duration + @"), usual transit (?<usualDuration>" + Duration + @"); evidence (?<evidence>[0-9.,]+)$")]
    private static partial Regex OverTime();

    [GeneratedRegex(@"^(?<slow>\d+) of (?<recent>\d+) vehicles that entered in the last (?<minutes>\d+) min are far slower than usual$")]
    private static partial Regex Congestion();
}
