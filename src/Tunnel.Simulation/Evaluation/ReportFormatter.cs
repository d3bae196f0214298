using System.Globalization;
using System.Text;

namespace Tunnel.Simulation.Evaluation;

/// <summary>The plain-text report the <c>evaluate</c> verb prints: per-bore table, misses, false alarms, targets.</summary>
internal static class ReportFormatter
{
    private const int MaxListed = 30;

    public static string FormatDays(IReadOnlyList<(string Day, EvaluationReport Report)> days)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var boreNames = days.SelectMany(d => d.Report.Bores).Select(b => b.Name).Distinct().ToList();
        sb.AppendLine(inv, $"{"day",-24} {"read stops",10} {"detected",9} {"median",7} {"p95",6}  false overdue per bore ({string.Join(", ", boreNames)})");
        foreach (var (day, r) in days)
        {
            var all = r.Overall.ReadStops;
            var falses = boreNames.Select(n => r.Bores.FirstOrDefault(b => b.Name == n)?.FalseOverdue.Count.ToString(inv) ?? "-");
            sb.AppendLine(inv, $"{day,-24} {all.Total,10} {Rate(all),9} {Sec(all.Delay.MedianSeconds),7} {Sec(all.Delay.P95Seconds),6}  {string.Join(" + ", falses)}");
        }
        return sb.ToString();
    }

    public static string Format(EvaluationReport r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        // Pooled days may share their dates (every seed simulates the same day): then the span says less than the count.
        sb.AppendLine(r.Days > (r.End - r.Start).TotalDays + 1e-6
            ? string.Create(inv, $"Evaluation of {r.Days:F2} simulated days pooled, each within {r.Start:yyyy-MM-dd HH:mm}Z .. {r.End:yyyy-MM-dd HH:mm}Z")
            : string.Create(inv, $"Evaluation {r.Start:yyyy-MM-dd HH:mm}Z .. {r.End:yyyy-MM-dd HH:mm}Z ({r.Days:F2} d)"));
        sb.AppendLine();
        sb.AppendLine(inv, $"{"bore",-18} {"vehicles",8} {"read stops",11} {"detected",9} {"median",7} {"p95",6} {"max",6} {"unread",7} {"cong.",6} {"false",6} {"/day",6} {"in slow",7} {"repeat",6}");
        foreach (var b in r.Bores.Append(r.Overall))
        {
            var d = b.ReadStops.Delay;
            sb.AppendLine(inv,
                $"{b.Name,-18} {b.Vehicles,8} {b.ReadStops.Total,11} {Rate(b.ReadStops),9} {Sec(d.MedianSeconds),7} {Sec(d.P95Seconds),6} {Sec(d.MaxSeconds),6} " +
                $"{b.UnreadStops.Detected + "/" + b.UnreadStops.Total,7} {b.CongestionStops.Detected + "/" + b.CongestionStops.Total,6} " +
                $"{b.FalseOverdue.Count,6} {b.FalseOverduePerDay,6:F2} {b.OverdueDuringSlowdowns.Count,7} {b.RepeatOverdue,6}");
        }
        sb.AppendLine("  (median/p95/max: seconds from the stop to the overdue alarm; unread and cong.: detected/total stops;");
        sb.AppendLine("   in slow: overdue alarms during slowdowns and their aftermath, not counted as false)");

        var all = r.Overall;
        var missed = all.ReadStops.Missed.Concat(all.UnreadStops.Missed).ToList();
        sb.AppendLine();
        sb.AppendLine(inv, $"Missed stops ({missed.Count})");
        foreach (var m in missed.Take(MaxListed))
        {
            var s = m.Stop;
            sb.AppendLine(inv,
                $"  {s.Site}/{s.Bore} {s.EntryPlateRead ?? "(unread)",-10} true {s.TruePlate,-10} lane {s.Lane} {s.Class}{(s.Hazmat ? " hazmat" : "")} " +
                $"stopped {s.StoppedAt:HH:mm:ss}Z for {(s.ResumedAt - s.StoppedAt).TotalMinutes:F1} min at {s.PositionMeters:F0} m, left {s.ExitedAt:HH:mm:ss}Z: {m.Miss}");
        }
        More(sb, missed.Count);

        sb.AppendLine();
        sb.AppendLine(inv, $"False overdue alarms ({all.FalseOverdue.Count})");
        foreach (var f in all.FalseOverdue.Take(MaxListed))
            sb.AppendLine(inv, $"  {f.Alarm.Site}/{f.Alarm.Bore} {f.Alarm.At:HH:mm:ss}Z {f.Alarm.Plate ?? "(no plate)",-10} true {f.TruePlate ?? "?",-10} {f.Cause}");
        More(sb, all.FalseOverdue.Count);
        var causes = all.FalseOverdue.GroupBy(f => Category(f.Cause)).OrderByDescending(g => g.Count()).ToList();
        if (causes.Count > 0) sb.AppendLine("  by cause: " + string.Join(", ", causes.Select(g => $"{g.Key} {g.Count()}")));

        sb.AppendLine();
        sb.AppendLine(inv, $"Slowdowns ({all.Slowdowns.Count}); congestion alarms outside any slowdown: {all.FalseCongestion.Count}");
        foreach (var s in all.Slowdowns)
        {
            var w = s.Slowdown;
            var first = s.Congestion.Count > 0 ? $", first {(s.Congestion[0].At - w.From).TotalSeconds:F0} s after it began" : "";
            sb.AppendLine(inv,
                $"  {w.Site}/{w.Bore} {w.From:HH:mm}-{w.To:HH:mm}Z at {w.SpeedKmh:F0} km/h, aftermath until {w.AftermathUntil:HH:mm:ss}Z: " +
                $"{s.Congestion.Count} congestion alarm(s){first}, {s.Overdue.Count} overdue alarm(s)");
        }
        foreach (var c in all.FalseCongestion.Take(MaxListed)) sb.AppendLine(inv, $"  false congestion {c.Site}/{c.Bore} {c.At:HH:mm:ss}Z");
        if (r.IgnoredAlarms > 0) sb.AppendLine(inv, $"Ignored alarms (other kinds or unknown bores): {r.IgnoredAlarms}");

        sb.AppendLine();
        sb.AppendLine("Targets");
        foreach (var t in r.Targets)
            sb.AppendLine(inv, $"  [{(t.Passed ? "PASS" : "FAIL")}] {t.Name,-38} {t.Requirement,-58} {t.Actual}");
        sb.AppendLine(r.Passed ? "All targets met." : $"{r.Targets.Count(t => !t.Passed)} of {r.Targets.Count} targets missed.");
        return sb.ToString();
    }

    private static string Rate(StopGroup g) => g.Rate is { } x ? x.ToString("P1", CultureInfo.InvariantCulture) : "-";
    private static string Sec(double? s) => s is { } x ? x.ToString("F0", CultureInfo.InvariantCulture) : "-";

    private static void More(StringBuilder sb, int count)
    {
        if (count > MaxListed) sb.AppendLine(CultureInfo.InvariantCulture, $"  ... and {count - MaxListed} more");
    }

    // The first clause of a cause, enough to tell misreads from late passages from detector errors.
    private static string Category(string cause)
    {
        var afterColon = cause.IndexOf("): ", StringComparison.Ordinal) is var i and >= 0 ? cause[(i + 3)..] : cause;
        var first = afterColon.Split(';')[0].Trim();
        var where = cause.StartsWith("after exit", StringComparison.Ordinal) ? "after exit" : cause.StartsWith("inside", StringComparison.Ordinal) ? "inside" : "other";
        foreach (var key in new[] { "misread as", "delivered", "held up", "changed lanes", "slow driver", "stop began" })
            if (first.Contains(key, StringComparison.Ordinal)) return $"{where}/{first[..(first.IndexOf(key, StringComparison.Ordinal) + key.Length)]}";
        return $"{where}/{first}";
    }
}
