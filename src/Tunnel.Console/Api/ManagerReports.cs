using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Api;

/// <summary>Vehicles per local day, bore, portal (entry or exit: each bore carries one direction) and class; those flagged hazmat at that portal among them.</summary>
public sealed record DailyVolume(string Day, string Site, string Bore, string Portal, string VehicleClass, long Passages, long Hazmat);
/// <param name="TotalHazmat">Hazmat vehicles through the bores, each once whichever portal flagged it.</param>
/// <param name="HazmatOnlyAtExit">Those of them flagged hazmat at the exit only.</param>
public sealed record DailyVolumes(DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<string> Days, IReadOnlyList<DailyVolume> Rows,
    long TotalHazmat, long HazmatOnlyAtExit);

/// <summary>Vehicles per local month (yyyy-MM), bore, portal and class; those flagged hazmat at that portal among them.</summary>
public sealed record MonthlyVolume(string Month, string Site, string Bore, string Portal, string VehicleClass, long Passages, long Hazmat);
/// <param name="TotalHazmat">Hazmat vehicles through the bores, each once whichever portal flagged it.</param>
/// <param name="HazmatOnlyAtExit">Those of them flagged hazmat at the exit only.</param>
public sealed record MonthlyVolumes(DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<string> Months, IReadOnlyList<MonthlyVolume> Rows,
    long TotalHazmat, long HazmatOnlyAtExit);

public sealed record TransitTimeRow(string Day, string Site, string Bore, string VehicleClass, int Transits, double MedianSeconds, double P95Seconds);
/// <summary>Transit times per day, bore and class from the transits matched by plate at both portals; <see cref="LeftOut"/> counts the others.</summary>
public sealed record TransitTimes(DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<TransitTimeRow> Rows, TransitsLeftOut LeftOut);

/// <param name="Verdict">The operators' last verdict: <c>confirmed</c> (a vehicle really was in trouble), <c>false</c>, or none yet.</param>
/// <param name="Retracted">A late passage showed the vehicle had left before the alarm was raised.</param>
public sealed record IncidentRow(Guid AlarmId, string Site, string Bore, string? Plate, string Priority, string State, DateTimeOffset RaisedAt,
    DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, double? SecondsToAcknowledge, string? Verdict, bool Retracted, string? PlateColor);
/// <param name="FalseAlarms">Judged false, or retracted and not judged confirmed.</param>
public sealed record Incidents(DateTimeOffset From, DateTimeOffset To, string TimeZone, bool PlatesMasked, int Count, int Acknowledged,
    double? MedianSecondsToAcknowledge, double? P95SecondsToAcknowledge, IReadOnlyList<IncidentRow> Rows, int Confirmed, int FalseAlarms, int Retracted);

/// <summary>The managers' reports over whole local days (the console's time zone), each as JSON and as CSV.</summary>
internal static class ManagerReports
{
    private const int MaxDays = 31;
    private const int MaxMonths = 24;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/daily-volumes", (int? days, DateOnly? to, TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> o) =>
                Volumes(store, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone))
            .WithSummary("Passages per day by bore, portal and vehicle class, each with those flagged hazmat there, and the hazmat vehicles through the " +
                         "bores, each once whichever portal flagged it; whole days in the console's time zone, " +
                         "the last `days` (7) up to `to` (yyyy-MM-dd, today) (manager)");
        group.MapGet("/daily-volumes.csv", (int? days, DateOnly? to, string? lang, TunnelStore store, CentralService service, TimeProvider clock, IOptions<ConsoleOptions> o) =>
            {
                var r = Volumes(store, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone);
                return Csv.File($"daily-volumes-{r.Days[^1]}.csv", ["day", "site", "bore", "portal", "class", "passages", "hazmat"],
                    r.Rows.Select(x => new object?[] { x.Day, x.Site, x.Bore, x.Portal, x.VehicleClass, x.Passages, x.Hazmat }), CsvWords.For(lang, r.TimeZone, service.Sites));
            })
            .WithSummary("The daily volumes as CSV; `lang=zh` for a Chinese header and names (manager)");

        group.MapGet("/monthly-volumes", (int? months, DateOnly? to, TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> o) =>
                Monthly(store, Until(to, clock, o.Value.TimeZone), Months(months), o.Value.TimeZone))
            .WithSummary("Passages per month by bore, portal and vehicle class, each with those flagged hazmat there, and the hazmat vehicles through the " +
                         "bores, each once whichever portal flagged it; whole months in the console's time zone, " +
                         "the last `months` (12) up to the month of `to` (yyyy-MM-dd, today), the current one so far (manager)");
        group.MapGet("/monthly-volumes.csv", (int? months, DateOnly? to, string? lang, TunnelStore store, CentralService service, TimeProvider clock, IOptions<ConsoleOptions> o) =>
            {
                var r = Monthly(store, Until(to, clock, o.Value.TimeZone), Months(months), o.Value.TimeZone);
                return Csv.File($"monthly-volumes-{r.Months[^1]}.csv", ["month", "site", "bore", "portal", "class", "passages", "hazmat"],
                    r.Rows.Select(x => new object?[] { x.Month, x.Site, x.Bore, x.Portal, x.VehicleClass, x.Passages, x.Hazmat }), CsvWords.For(lang, r.TimeZone, service.Sites));
            })
            .WithSummary("The monthly volumes as CSV; `lang=zh` for a Chinese header and names (manager)");

        group.MapGet("/transit-times", (int? days, DateOnly? to, TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> o) =>
                Times(store, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone))
            .WithSummary("Transit time median and 95th percentile per day, bore and vehicle class, from the transits matched by plate at both " +
                         "portals; how many were left out (a guessed exit, alarmed as overdue, never seen leaving) beside them (manager)");
        group.MapGet("/transit-times.csv", (int? days, DateOnly? to, string? lang, TunnelStore store, CentralService service, TimeProvider clock, IOptions<ConsoleOptions> o) =>
            {
                var r = Times(store, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone);
                return Csv.File($"transit-times-{LastDay(r.To, ReportApi.FindZone(r.TimeZone))}.csv", ["day", "site", "bore", "class", "transits", "median_s", "p95_s"],
                    r.Rows.Select(x => new object?[] { x.Day, x.Site, x.Bore, x.VehicleClass, x.Transits, x.MedianSeconds, x.P95Seconds }), CsvWords.For(lang, r.TimeZone, service.Sites));
            })
            .WithSummary("The transit times as CSV; `lang=zh` for a Chinese header and names (manager)");

        group.MapGet("/incidents", (int? days, DateOnly? to, ClaimsPrincipal user, TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> o) =>
                Overdue(store, user, clock, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone, "view-incidents-report"))
            .WithSummary("Overdue incidents with the time to acknowledge and how many were false alarms (operators' verdicts, and alarms a late passage retracted); plates masked unless the manager is granted them (audited when shown)");
        group.MapGet("/incidents.csv", (int? days, DateOnly? to, string? lang, ClaimsPrincipal user, TunnelStore store, CentralService service, TimeProvider clock,
                IOptions<ConsoleOptions> o) =>
            {
                // A file leaves the console: recorded as an export, not as another look at the page.
                var r = Overdue(store, user, clock, Until(to, clock, o.Value.TimeZone), Days(days), o.Value.TimeZone, "export-incidents-csv");
                var zone = ReportApi.FindZone(r.TimeZone);
                return Csv.File($"incidents-{LastDay(r.To, zone)}.csv", ["raised", "site", "bore", "plate", "priority", "state", "acknowledged", "acknowledged_by", "seconds_to_acknowledge",
                        "verdict", "retracted"],
                    r.Rows.Select(x => new object?[] { Csv.Time(x.RaisedAt, zone), x.Site, x.Bore, x.Plate, x.Priority, x.State,
                        x.AcknowledgedAt is { } a ? Csv.Time(a, zone) : null, x.AcknowledgedBy, x.SecondsToAcknowledge, x.Verdict, x.Retracted ? "yes" : "no" }),
                    CsvWords.For(lang, r.TimeZone, service.Sites));
            })
            .WithSummary("The overdue incidents as CSV, plates as on screen; `lang=zh` for a Chinese header and names (manager)");
    }

    private static int Days(int? days) => Math.Clamp(days ?? 7, 1, MaxDays);

    private static int Months(int? months) => Math.Clamp(months ?? 12, 1, MaxMonths);

    private static readonly DateOnly EarliestDay = new(2000, 1, 1), LatestDay = new(2999, 12, 31);

    /// <summary>An instant on the local day a report ends with: the day asked for, or today.</summary>
    private static DateTimeOffset Until(DateOnly? to, TimeProvider clock, string timeZone)
    {
        if (to is not { } day) return clock.GetUtcNow();
        // Far enough from the calendar's ends for a report's days and months to be counted back and forth.
        day = day < EarliestDay ? EarliestDay : day > LatestDay ? LatestDay : day;
        var noon = day.ToDateTime(new TimeOnly(12, 0));
        return new DateTimeOffset(noon, ReportApi.FindZone(timeZone).GetUtcOffset(noon));
    }

    /// <summary>[from, to): the last <paramref name="days"/> local days, today included.</summary>
    private static (DateTimeOffset From, DateTimeOffset To, TimeZoneInfo Zone) Period(DateTimeOffset now, int days, string timeZone)
    {
        var zone = ReportApi.FindZone(timeZone);
        var today = TimeZoneInfo.ConvertTime(now, zone).Date;
        return (LocalStart(today.AddDays(1 - days), zone), LocalStart(today.AddDays(1), zone), zone);
    }

    /// <summary>The instant a local day (or month) begins.</summary>
    private static DateTimeOffset LocalStart(DateTime day, TimeZoneInfo zone) => new(day, zone.GetUtcOffset(day));

    /// <summary>When each of <paramref name="days"/> local days from <paramref name="from"/> begins, and the last one ends.</summary>
    private static List<DateTimeOffset> DayStarts(DateTimeOffset from, int days, TimeZoneInfo zone)
    {
        var first = TimeZoneInfo.ConvertTime(from, zone).Date;
        return [.. Enumerable.Range(0, days + 1).Select(d => LocalStart(first.AddDays(d), zone))];
    }

    private static string Day(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The last local day of a period that ends at <paramref name="to"/>: a file is named by it, as the daily volumes' are.</summary>
    private static string LastDay(DateTimeOffset to, TimeZoneInfo zone) => Day(to.AddTicks(-1), zone);

    internal static DailyVolumes Volumes(TunnelStore store, DateTimeOffset now, int days, string timeZone)
    {
        var (from, to, zone) = Period(now, days, timeZone);
        var rows = CountsBy(store, DayStarts(from, days, zone), at => Day(at, zone))
            .Select(c => new DailyVolume(c.Period, c.Site, c.Bore, c.Portal, c.VehicleClass, c.Passages, c.Hazmat)).ToList();
        var dayList = Enumerable.Range(0, days).Select(d => Day(from.AddDays(d).AddHours(12), zone)).ToList();
        var hazmat = HazmatVehicles(store, rows.Select(r => (r.Portal, r.Hazmat)), from, to);
        return new DailyVolumes(from, to, timeZone, dayList, rows, hazmat.Total, hazmat.OnlyAtExit);
    }

    /// <summary>The last <paramref name="months"/> local months, this one so far included.</summary>
    internal static MonthlyVolumes Monthly(TunnelStore store, DateTimeOffset now, int months, string timeZone)
    {
        var zone = ReportApi.FindZone(timeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var first = new DateTime(local.Year, local.Month, 1).AddMonths(1 - months);
        var starts = Enumerable.Range(0, months + 1).Select(m => LocalStart(first.AddMonths(m), zone)).ToList();
        var (from, to) = (starts[0], starts[^1]);
        var rows = CountsBy(store, starts, at => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM", CultureInfo.InvariantCulture))
            .Select(c => new MonthlyVolume(c.Period, c.Site, c.Bore, c.Portal, c.VehicleClass, c.Passages, c.Hazmat)).ToList();
        var monthList = Enumerable.Range(0, months).Select(m => first.AddMonths(m).ToString("yyyy-MM", CultureInfo.InvariantCulture)).ToList();
        var hazmat = HazmatVehicles(store, rows.Select(r => (r.Portal, r.Hazmat)), from, to);
        return new MonthlyVolumes(from, to, timeZone, monthList, rows, hazmat.Total, hazmat.OnlyAtExit);
    }

    /// <summary>
    /// Hazmat vehicles through the bores in [from, to), each counted once, at its entry if that camera flagged it and otherwise at its
    /// exit: every entry flagged hazmat (whatever its exit showed), and every exit flagged hazmat that no flagged entry accounts for (its
    /// transit's entry was not flagged, or the exit matched no entry). The per-portal hazmat columns count passages: adding the entry
    /// and exit columns would count a tanker flagged at both portals twice, and the entries alone miss one the entry camera did not flag.
    /// </summary>
    private static (long Total, long OnlyAtExit) HazmatVehicles(TunnelStore store, IEnumerable<(string Portal, long Hazmat)> rows,
        DateTimeOffset from, DateTimeOffset to)
    {
        var onlyAtExit = store.HazmatOnlyAtExit(from, to);
        return (rows.Where(r => r.Portal == TunnelJson.Name(Portal.Entry)).Sum(r => r.Hazmat) + onlyAtExit, onlyAtExit);
    }

    /// <summary>
    /// The store's counts summed per period (a local day or month), bore, portal and class, in order; <paramref name="starts"/>
    /// are the periods' starts and the last one's end.
    /// </summary>
    private static IEnumerable<(string Period, string Site, string Bore, string Portal, string VehicleClass, long Passages, long Hazmat)> CountsBy(
        TunnelStore store, IReadOnlyList<DateTimeOffset> starts, Func<DateTimeOffset, string> period)
    {
        // The store counts whole UTC hours. In a zone 30 or 45 minutes off UTC (India, Nepal) a period begins inside an hour:
        // that hour's passages are counted from the passages themselves, each side of the boundary in its own period.
        static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        var inside = starts.Where(s => s != HourOf(s)).ToList();
        var split = inside.Select(HourOf).ToHashSet();
        var counts = store.HourlyCounts(starts[0], starts[^1]).Where(c => !split.Contains(c.Hour)).ToList();
        foreach (var start in inside)
        {
            if (start != starts[0]) counts.AddRange(store.PassageCounts(HourOf(start), start));
            if (start != starts[^1]) counts.AddRange(store.PassageCounts(start, HourOf(start).AddHours(1)));
        }
        return counts
            .GroupBy(c => (Period: period(c.Hour), c.Site, c.Bore, c.Portal, c.VehicleClass))
            .Select(g => (g.Key.Period, g.Key.Site, g.Key.Bore, g.Key.Portal, g.Key.VehicleClass, g.Sum(c => c.Passages), g.Where(c => c.Hazmat).Sum(c => c.Passages)))
            .OrderBy(r => r.Period, StringComparer.Ordinal).ThenBy(r => r.Site, StringComparer.Ordinal).ThenBy(r => r.Bore, StringComparer.Ordinal)
            .ThenBy(r => r.Portal, StringComparer.Ordinal).ThenBy(r => r.VehicleClass, StringComparer.Ordinal);
    }

    internal static TransitTimes Times(TunnelStore store, DateTimeOffset now, int days, string timeZone)
    {
        var (from, to, zone) = Period(now, days, timeZone);
        var starts = DayStarts(from, days, zone);
        var durations = store.TransitDurationsBy(starts);
        var rows = durations.Groups
            .GroupBy(g => (Day: Day(starts[g.Period], zone), g.Site, g.Bore, Class: g.VehicleClass ?? "unknown"))
            .OrderBy(g => g.Key.Day, StringComparer.Ordinal).ThenBy(g => g.Key.Site, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Bore, StringComparer.Ordinal).ThenBy(g => g.Key.Class, StringComparer.Ordinal)
            .Select(g =>
            {
                // Each group comes sorted; only a class not recorded and "unknown" make one row of two.
                var seconds = g.Count() == 1 ? g.Single().Seconds : g.SelectMany(x => x.Seconds).Order().ToList();
                return new TransitTimeRow(g.Key.Day, g.Key.Site, g.Key.Bore, g.Key.Class, seconds.Count,
                    Math.Round(Median(seconds)!.Value, 1), Math.Round(Percentile(seconds, 0.95)!.Value, 1));
            }).ToList();
        return new TransitTimes(from, to, timeZone, rows, durations.LeftOut);
    }

    internal static Incidents Overdue(TunnelStore store, ClaimsPrincipal user, TimeProvider clock, DateTimeOffset until, int days, string timeZone, string auditAction)
    {
        var (from, to, _) = Period(until, days, timeZone);
        var rows = IncidentRows(store.OverdueIncidents(from, to), user, store, auditAction, "report:incidents", $"{days} days to {to.AddDays(-1):yyyy-MM-dd}", clock.GetUtcNow());
        var acknowledged = rows.Where(r => r.SecondsToAcknowledge is not null).Select(r => r.SecondsToAcknowledge!.Value).Order().ToList();
        return new Incidents(from, to, timeZone, !Roles.CanSeePlates(user), rows.Count, acknowledged.Count,
            Median(acknowledged) is { } m ? Math.Round(m, 1) : null, Percentile(acknowledged, 0.95) is { } p ? Math.Round(p, 1) : null, rows,
            rows.Count(r => r.Verdict == TunnelStore.Confirmed),
            rows.Count(r => r.Verdict == TunnelStore.FalseAlarm || r.Retracted && r.Verdict != TunnelStore.Confirmed),
            rows.Count(r => r.Retracted));
    }

    /// <summary>
    /// The incidents as rows, plates masked unless the reader is granted them. Plates of many vehicles at
    /// once: a granted look is recorded (<paramref name="action"/>) like any other.
    /// </summary>
    internal static List<IncidentRow> IncidentRows(IEnumerable<OverdueIncident> incidents, ClaimsPrincipal user, TunnelStore store, string action,
        string subject, string detail, DateTimeOffset now)
    {
        var plates = Roles.CanSeePlates(user);
        var rows = incidents.Select(i => new IncidentRow(i.AlarmId, i.Site, i.Bore, PlateMask.Apply(i.Plate, plates), i.Priority,
            i.State, i.RaisedAt, i.AcknowledgedAt, i.AcknowledgedBy,
            i.AcknowledgedAt is { } a ? Math.Round((a - i.RaisedAt).TotalSeconds, 1) : null, i.Verdict, i.Retracted, i.PlateColor)).ToList();
        if (plates && rows.Any(r => r.Plate is not null)) store.Audit(user.Identity!.Name!, action, subject, $"{detail}, {rows.Count} incidents", now);
        return rows;
    }

    /// <summary>
    /// The median of sorted values, the mean of the middle two of an even count: what a spreadsheet's MEDIAN gives for the
    /// same column of the CSV (the lower of the two would say 10 s for acknowledgements after 10 s and 100 s); null for none.
    /// </summary>
    internal static double? Median(IReadOnlyList<double> sorted) =>
        sorted.Count == 0 ? null : (sorted[(sorted.Count - 1) / 2] + sorted[sorted.Count / 2]) / 2;

    /// <summary>Nearest-rank percentile of sorted values; null for none.</summary>
    internal static double? Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>
/// What a CSV's words depend on besides its rows: Chinese or the API's own names, the console's time zone its times are written in
/// (named in the header, since a time a spreadsheet can sort carries no offset), and the sites' names.
/// </summary>
internal sealed record CsvWords(bool Chinese, string TimeZone, IReadOnlyDictionary<string, string> SiteNames)
{
    public static CsvWords For(string? lang, string timeZone, SitesFile sites) => new(lang is "zh" or "zh-CN", timeZone,
        sites.Sites.ToDictionary(s => s.Id, s => string.IsNullOrWhiteSpace(s.Name) ? s.Id : s.Name, StringComparer.Ordinal));
}

/// <summary>
/// Reports as CSV files for spreadsheets: UTF-8 with a byte order mark (so spreadsheet programs read the Chinese
/// right), fields quoted when needed, text that a spreadsheet would run as a formula defused, and local times as
/// <c>yyyy-MM-dd HH:mm:ss</c>, which a spreadsheet reads as a date and time it can sort and subtract. With
/// <c>lang=zh</c> the header and the named values (site, bore, class, portal, priority, state, verdict) are in Chinese,
/// as the console shows them, for a file sent on as it is; otherwise they are the API's own names, for a file read by a program.
/// </summary>
internal static class Csv
{
    public static IResult File(string name, IReadOnlyList<string> header, IEnumerable<object?[]> rows, CsvWords words)
    {
        var text = new StringBuilder(string.Join(',', header.Select(h => Field(Header(h, words))))).Append("\r\n");
        foreach (var row in rows)
            text.Append(string.Join(',', row.Select((v, i) => Field(words.Chinese && v is string word ? Chinese(header[i], word, words) : v)))).Append("\r\n");
        return Results.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text.ToString())).ToArray(), "text/csv; charset=utf-8", name);
    }

    /// <summary>A local time to the second, as a spreadsheet reads one.</summary>
    public static string Time(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>The local start of an hour, as a spreadsheet reads one.</summary>
    public static string Hour(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Header(string column, CsvWords words)
    {
        var name = words.Chinese ? ChineseHeaders.GetValueOrDefault(column, column) : column;
        return TimeColumns.Contains(column) ? $"{name} ({words.TimeZone})" : name;
    }

    private static string Chinese(string column, string value, CsvWords words) => column switch
    {
        "site" => words.SiteNames.GetValueOrDefault(value, value),
        "bore" => BoreNames.InChinese(value) ?? value,
        _ when NamedValueColumns.Contains(column) => ChineseWords.GetValueOrDefault(value, value),
        _ => value,
    };

    private static readonly HashSet<string> TimeColumns = ["hour", "raised", "acknowledged"];

    private static readonly HashSet<string> NamedValueColumns = ["portal", "class", "priority", "state", "verdict", "retracted"];

    // As the console names bores (js/i18n.js bore.*): any other bore by its id.
    private static readonly Dictionary<string, string> ChineseHeaders = new()
    {
        ["hour"] = "小时", ["day"] = "日期", ["month"] = "月份", ["site"] = "隧道", ["bore"] = "洞", ["portal"] = "出入口", ["class"] = "车型",
        ["passages"] = "车次", ["hazmat"] = "危险品车辆", ["transits"] = "通行车次", ["median_s"] = "通行时间中位数（秒）",
        ["p95_s"] = "通行时间95%分位（秒）", ["raised"] = "报警时间", ["plate"] = "车牌", ["priority"] = "级别", ["state"] = "状态",
        ["acknowledged"] = "确认时间", ["acknowledged_by"] = "确认人", ["seconds_to_acknowledge"] = "确认用时（秒）", ["verdict"] = "研判",
        ["retracted"] = "撤回",
    };

    // The page's words (js/i18n.js): a file sent on says what the manager saw.
    private static readonly Dictionary<string, string> ChineseWords = new()
    {
        ["car"] = "小客车", ["van"] = "面包车", ["bus"] = "客车", ["truck"] = "货车", ["motorcycle"] = "摩托车", ["unknown"] = "未知",
        ["entry"] = "驶入", ["exit"] = "驶出",
        ["critical"] = "紧急", ["high"] = "高", ["medium"] = "中", ["low"] = "低",
        ["active-unacknowledged"] = "未确认", ["active-acknowledged"] = "已确认", ["cleared-unacknowledged"] = "已恢复·未确认",
        ["closed"] = "已关闭", ["shelved"] = "已搁置",
        ["confirmed"] = "属实", ["false"] = "误报", ["yes"] = "是", ["no"] = "否",
    };
    internal static string Field(object? value)
    {
        var s = value switch
        {
            null => "",
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        // A plate or a user name from the field must not become a formula in the manager's spreadsheet.
        if (value is string && s.Length > 0 && "=+-@\t\r".Contains(s[0])) s = "'" + s;
        return s.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }
}
