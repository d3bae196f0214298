using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tunnel.Central.Service;
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
        // A period the framework could not read (to=last-tuesday, days=abc) gets a 400 that says what is expected, not an empty one.
        group.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            return result is EmptyHttpResult && context.HttpContext.Response.StatusCode == StatusCodes.Status400BadRequest
                ? Results.BadRequest(new ApiError("invalid", "days, months and hours are whole numbers; to is a day, yyyy-MM-dd"))
                : result;
        });
        group.MapGet("/passages-per-hour", (TunnelStore store, TimeProvider clock, IOptions<ConsoleOptions> options, int? hours) =>
                Build(store, clock.GetUtcNow(), Math.Clamp(hours ?? 24, 1, 24 * 7), options.Value.TimeZone))
            .WithSummary("Vehicles entering each bore per hour and vehicle class, over the last 24 hours (manager)");

        group.MapGet("/passages-per-hour.csv", (TunnelStore store, CentralService service, TimeProvider clock, IOptions<ConsoleOptions> options, int? hours, string? lang) =>
            {
                var report = Build(store, clock.GetUtcNow(), Math.Clamp(hours ?? 24, 1, 24 * 7), options.Value.TimeZone);
                var zone = FindZone(report.TimeZone);
                // Named by the hour it ends with on the manager's clock, as its rows are written.
                return Csv.File($"passages-per-hour-{TimeZoneInfo.ConvertTime(report.To, zone):yyyyMMddHH}.csv", ["hour", "site", "bore", "class", "passages"],
                    from series in report.Series
                    from i in Enumerable.Range(0, report.Hours.Count)
                    select new object?[] { Csv.Hour(report.Hours[i], zone), series.Site, series.Bore, series.VehicleClass, series.Counts[i] },
                    CsvWords.For(lang, report.TimeZone, service.Sites));
            })
            .WithSummary("The same report as CSV (UTF-8), hours in the console's time zone; `lang=zh` for a Chinese header and names (manager)");

        ManagerReports.Map(group);
    }

    /// <summary>Entries per hour, counted by the store (the same hourly aggregate as the daily volumes).</summary>
    internal static PassagesPerHour Build(TunnelStore store, DateTimeOffset now, int hours, string timeZone)
    {
        var to = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        var from = to.AddHours(-hours);
        var counts = new Dictionary<(string Site, string Bore, string Class), int[]>();
        foreach (var c in store.HourlyCounts(from, to).Where(c => c.Portal == TunnelJson.Name(Portal.Entry)))
        {
            var key = (c.Site, c.Bore, c.VehicleClass);
            if (!counts.TryGetValue(key, out var series)) counts[key] = series = new int[hours];
            var slot = (int)(c.Hour - from).TotalHours;
            if (slot >= 0 && slot < hours) series[slot] += (int)c.Passages;
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
