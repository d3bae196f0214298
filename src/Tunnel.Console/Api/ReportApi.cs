using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

public sealed record HourlySeries(string Site, string Bore, string VehicleClass, IReadOnlyList<int> Counts);

/// <summary>Entries per hour; <see cref="Hours"/> are the starts of the hours (UTC), oldest first. No plates.</summary>
public sealed record PassagesPerHour(DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<DateTimeOffset> Hours,
    IReadOnlyList<HourlySeries> Series);

internal static class ReportApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/reports").WithTags("Reports").RequireAuthorization(Policies.Reports);
        group.MapGet("/passages-per-hour", (TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> options, int? hours) =>
                Build(store, clock.GetUtcNow(), Math.Clamp(hours ?? 24, 1, 24 * 7), options.Value.TimeZone))
            .WithSummary("Vehicles entering each bore per hour and vehicle class, over the last 24 hours (manager)");

        group.MapGet("/passages-per-hour.csv", (TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> options, int? hours) =>
            {
                var report = Build(store, clock.GetUtcNow(), Math.Clamp(hours ?? 24, 1, 24 * 7), options.Value.TimeZone);
                var zone = FindZone(report.TimeZone);
                var csv = new StringBuilder("hour,site,bore,class,passages\r\n");
                foreach (var s in report.Series)
                    for (var i = 0; i < report.Hours.Count; i++)
                        csv.Append(CultureInfo.InvariantCulture,
                            $"{TimeZoneInfo.ConvertTime(report.Hours[i], zone):yyyy-MM-dd'T'HH:mmzzz},{s.Site},{s.Bore},{s.VehicleClass},{s.Counts[i]}\r\n");
                // The BOM tells spreadsheet programs it is UTF-8.
                return Results.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(csv.ToString())).ToArray(), "text/csv; charset=utf-8",
                    $"passages-per-hour-{report.To:yyyyMMddHH}.csv");
            })
            .WithSummary("The same report as CSV (UTF-8), hours in the console's time zone (manager)");

        ManagerReports.Map(group);
    }

    /// <summary>
    /// Counted from the stored entry passages. A first version: it reads the passages of the period;
    /// an aggregate query in the store will take over when reports grow.
    /// </summary>
    internal static PassagesPerHour Build(TunnelStore store, DateTimeOffset now, int hours, string timeZone)
    {
        var to = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        var from = to.AddHours(-hours);
        var counts = new Dictionary<(string Site, string Bore, string Class), int[]>();
        foreach (var row in store.ReadPassages(from, to))
        {
            var p = row.Passage;
            if (p.Portal != Portal.Entry) continue;
            var key = (p.Site, p.Bore, TunnelJson.Name(p.Vehicle.Class));
            if (!counts.TryGetValue(key, out var series)) counts[key] = series = new int[hours];
            var slot = (int)((p.CapturedAt - from).TotalHours);
            if (slot >= 0 && slot < hours) series[slot]++;
        }
        return new PassagesPerHour(from, to, timeZone, Enumerable.Range(0, hours).Select(h => from.AddHours(h)).ToList(),
            counts.OrderBy(kv => kv.Key).Select(kv => new HourlySeries(kv.Key.Site, kv.Key.Bore, kv.Key.Class, kv.Value)).ToList());
    }

    internal static TimeZoneInfo FindZone(string id)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (TimeZoneNotFoundException) { return TimeZoneInfo.CreateCustomTimeZone("UTC+8", TimeSpan.FromHours(8), "UTC+8", "UTC+8"); }
    }
}
