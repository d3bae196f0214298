using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

public sealed class ManagerReportTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;
    private static string Today => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, ReportApi.FindZone("Asia/Shanghai")).ToString("yyyy-MM-dd");

    [Fact]
    public async Task Daily_volumes_count_passages_by_bore_portal_and_class_with_hazmat_and_download_as_csv()
    {
        await Host.PublishAsync("浙G90001", bore: "south", lane: 1, cls: VehicleClass.Bus);
        await Host.PublishAsync("浙G90002", bore: "south", lane: 2, cls: VehicleClass.Truck, hazmat: true);
        var last = await Host.PublishAsync("浙G90003", bore: "south", lane: 2, cls: VehicleClass.Truck);
        await Host.UntilAsync(_ => Host.Store.GetPassage(last.EventId));

        using var boss = await Host.LoginAsync("boss");
        var report = await boss.GetFromJsonAsync<DailyVolumes>("/api/v1/reports/daily-volumes?days=7");
        Assert.Equal(7, report!.Days.Count);
        Assert.Equal(Today, report.Days[^1]);
        var trucks = report.Rows.Single(r => r.Day == Today && r.Bore == "south" && r.Portal == "entry" && r.VehicleClass == "truck");
        Assert.Equal((2L, 1L), (trucks.Passages, trucks.Hazmat));
        Assert.True(report.TotalHazmat >= 1);
        var csv = await boss.GetStringAsync("/api/v1/reports/daily-volumes.csv?days=7");
        Assert.StartsWith("day,site,bore,portal,class,passages,hazmat", csv.TrimStart('\uFEFF'));
        Assert.Contains($"{Today},maoliling,south,entry,truck,2,1", csv);
        // For a file sent on as it is: the page's language, header and names alike; the figures unchanged.
        var chinese = await boss.GetStringAsync("/api/v1/reports/daily-volumes.csv?days=7&lang=zh");
        Assert.StartsWith("日期,隧道,洞,出入口,车型,车次,危险品车辆", chinese.TrimStart('\uFEFF'));
        Assert.Contains($"{Today},猫狸岭隧道,南洞,驶入,货车,2,1", chinese);
        Assert.Equal(csv.Split('\n').Length, chinese.Split('\n').Length);

        // An earlier period: the fortnight up to yesterday, without today's passages; then a month up to last month.
        var yesterday = DateOnly.ParseExact(Today, "yyyy-MM-dd").AddDays(-1).ToString("yyyy-MM-dd");
        var earlier = (await boss.GetFromJsonAsync<DailyVolumes>($"/api/v1/reports/daily-volumes?days=14&to={yesterday}"))!;
        Assert.Equal(14, earlier.Days.Count);
        Assert.Equal(yesterday, earlier.Days[^1]);
        Assert.DoesNotContain(earlier.Rows, r => r.Day == Today);
        Assert.DoesNotContain(Today, await boss.GetStringAsync($"/api/v1/reports/daily-volumes.csv?days=14&to={yesterday}"));
        var lastMonth = DateOnly.ParseExact(Today, "yyyy-MM-dd").AddMonths(-1);
        var months = (await boss.GetFromJsonAsync<MonthlyVolumes>($"/api/v1/reports/monthly-volumes?months=3&to={lastMonth:yyyy-MM-dd}"))!;
        Assert.Equal(lastMonth.ToString("yyyy-MM"), months.Months[^1]);
        Assert.Equal(HttpStatusCode.BadRequest, (await boss.GetAsync("/api/v1/reports/daily-volumes?to=last-tuesday")).StatusCode);
        foreach (var edge in new[] { "0001-01-01", "9999-12-31" })
            Assert.Equal(HttpStatusCode.OK, (await boss.GetAsync($"/api/v1/reports/monthly-volumes?months=24&to={edge}")).StatusCode);
    }

    [Fact]
    public async Task Monthly_volumes_count_this_months_passages_by_bore_portal_and_class_with_hazmat_and_download_as_csv()
    {
        using var boss = await Host.LoginAsync("boss");
        var before = (await boss.GetFromJsonAsync<MonthlyVolumes>("/api/v1/reports/monthly-volumes"))!;
        await Host.PublishAsync("浙G94001", bore: "north", lane: 2, cls: VehicleClass.Bus, hazmat: true);
        var last = await Host.PublishAsync("浙G94002", bore: "north", lane: 2, cls: VehicleClass.Bus);
        await Host.UntilAsync(_ => Host.Store.GetPassage(last.EventId));

        var report = (await boss.GetFromJsonAsync<MonthlyVolumes>("/api/v1/reports/monthly-volumes"))!;
        Assert.Equal(12, report.Months.Count);
        Assert.Equal(ThisMonth, report.Months[^1]);
        var start = TimeZoneInfo.ConvertTime(report.From, ReportApi.FindZone("Asia/Shanghai"));
        Assert.Equal((1, TimeSpan.Zero), (start.Day, start.TimeOfDay));
        (long, long) Buses(MonthlyVolumes r) => r.Rows.SingleOrDefault(x => x.Month == ThisMonth && x.Bore == "north" && x.Portal == "entry" && x.VehicleClass == "bus")
            is { } row ? (row.Passages, row.Hazmat) : (0, 0);
        Assert.Equal((Buses(before).Item1 + 2, Buses(before).Item2 + 1), Buses(report));
        Assert.Equal(before.TotalHazmat + 1, report.TotalHazmat);
        Assert.Equal(3, (await boss.GetFromJsonAsync<MonthlyVolumes>("/api/v1/reports/monthly-volumes?months=3"))!.Months.Count);
        var csv = await boss.GetStringAsync("/api/v1/reports/monthly-volumes.csv");
        Assert.StartsWith("month,site,bore,portal,class,passages,hazmat", csv.TrimStart('\uFEFF'));
        Assert.Contains($"{ThisMonth},maoliling,north,entry,bus,{Buses(report).Item1},{Buses(report).Item2}", csv);
    }

    private static string ThisMonth => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, ReportApi.FindZone("Asia/Shanghai")).ToString("yyyy-MM");

    [Fact]
    public async Task Transit_times_give_the_median_and_95th_percentile_of_finished_transits()
    {
        await Host.PublishAsync("浙G91001", bore: "north", lane: 2, cls: VehicleClass.Van, ago: TimeSpan.FromMinutes(3));
        var exit = await Host.PublishAsync("浙G91001", portal: Portal.Exit, bore: "north", lane: 2, cls: VehicleClass.Van);
        await Host.UntilAsync(_ => Host.Store.TransitsByPlate("浙G91001").FirstOrDefault(t => t.ExitEventId == exit.EventId));

        using var boss = await Host.LoginAsync("boss");
        var report = await boss.GetFromJsonAsync<TransitTimes>("/api/v1/reports/transit-times?days=1");
        var vans = report!.Rows.Single(r => r.Bore == "north" && r.VehicleClass == "van");
        Assert.Equal(1, vans.Transits);
        Assert.InRange(vans.MedianSeconds, 179, 182);
        Assert.Equal(vans.MedianSeconds, vans.P95Seconds);
        Assert.Contains(",maoliling,north,van,1,", await boss.GetStringAsync("/api/v1/reports/transit-times.csv?days=1"));
    }

    [Fact]
    public async Task A_period_that_cannot_be_read_is_refused_with_what_is_expected()
    {
        using var boss = await Host.LoginAsync("boss");
        foreach (var path in new[] { "daily-volumes?to=last-tuesday", "transit-times.csv?to=2026-02-31", "incidents?days=a-week", "passages-per-hour?hours=x" })
        {
            var response = await boss.GetAsync("/api/v1/reports/" + path);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync<ApiError>();
            Assert.Equal(("invalid", "days, months and hours are whole numbers; to is a day, yyyy-MM-dd"), (error!.Error, error.Message));
        }
    }

    [Fact]
    public async Task Csv_files_are_named_by_the_last_day_or_hour_they_cover_on_the_console_clock()
    {
        using var boss = await Host.LoginAsync("boss");
        async Task<string?> Name(string path) => (await boss.GetAsync(path)).Content.Headers.ContentDisposition?.FileName?.Trim('"');
        Assert.Equal("transit-times-2026-10-31.csv", await Name("/api/v1/reports/transit-times.csv?days=7&to=2026-10-31"));
        Assert.Equal("incidents-2026-10-31.csv", await Name("/api/v1/reports/incidents.csv?days=7&to=2026-10-31"));
        Assert.Equal("daily-volumes-2026-10-31.csv", await Name("/api/v1/reports/daily-volumes.csv?days=7&to=2026-10-31"));
        // The last 24 hours: named by the local hour they run up to, as the rows write their hours.
        var nextHour = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, ReportApi.FindZone("Asia/Shanghai")).AddHours(1);
        var name = await Name("/api/v1/reports/passages-per-hour.csv");
        Assert.True(name == $"passages-per-hour-{nextHour:yyyyMMddHH}.csv" || name == $"passages-per-hour-{nextHour.AddHours(1):yyyyMMddHH}.csv", name);
    }

    [Fact]
    public async Task Overdue_incidents_show_the_time_to_acknowledge_with_plates_masked_unless_granted()
    {
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙G92001" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙G92001", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;
        using (var op = await Host.LoginAsync("op"))
            Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/acknowledge", new AcknowledgeRequest(null))).StatusCode);

        using var boss = await Host.LoginAsync("boss");
        var report = await boss.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1");
        var row = report!.Rows.Single(r => r.AlarmId == alarm.AlarmId);
        Assert.True(report.PlatesMasked);
        Assert.Equal("浙G9***1", row.Plate);
        Assert.Equal("op", row.AcknowledgedBy);
        Assert.True(row.SecondsToAcknowledge >= 0);
        Assert.NotNull(report.MedianSecondsToAcknowledge);
        var csv = await boss.GetStringAsync("/api/v1/reports/incidents.csv?days=1");
        Assert.Contains("浙G9***1", csv);
        var chinese = await boss.GetStringAsync("/api/v1/reports/incidents.csv?days=1&lang=zh");
        Assert.StartsWith("报警时间 (Asia/Shanghai),隧道,洞,车牌,级别,状态,确认时间 (Asia/Shanghai),确认人,确认用时（秒）,研判,撤回", chinese.TrimStart('\uFEFF'));
        Assert.Contains(",浙G9***1,高,已确认,", chinese);
        Assert.DoesNotContain("浙G92001", csv);
        Assert.DoesNotContain(Host.Store.ReadAudit(actor: "boss"), a => a.Action == "view-incidents-report");

        using var granted = await Host.LoginAsync("boss-plates");
        var plain = await granted.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1");
        Assert.Equal("浙G92001", plain!.Rows.Single(r => r.AlarmId == alarm.AlarmId).Plate);
        Assert.Contains(Host.Store.ReadAudit(actor: "boss-plates"), a => a.Action == "view-incidents-report");
        // A file that leaves the console is recorded as an export, not as another look.
        Assert.Contains("浙G92001", await granted.GetStringAsync("/api/v1/reports/incidents.csv?days=1"));
        Assert.Contains(Host.Store.ReadAudit(actor: "boss-plates"), a => a.Action == "export-incidents-csv");

        using var opClient = await Host.LoginAsync("op");
        Assert.Equal(HttpStatusCode.Forbidden, (await opClient.GetAsync("/api/v1/reports/incidents")).StatusCode);
    }

    [Fact]
    public async Task Operators_judge_alarms_and_the_incidents_report_counts_false_alarms_and_those_a_late_passage_retracted()
    {
        // The north bore: the south one keeps another test's alarmed vehicle, and those behind it in its lane are not alarmed.
        var judgedRaised = Host.NextAlarmAsync(t => t.Plate == "浙G93001" && t.State == AlarmState.ActiveUnacknowledged);
        var leftRaised = Host.NextAlarmAsync(t => t.Plate == "浙G93002" && t.State == AlarmState.ActiveUnacknowledged);
        var leftRetracted = Host.NextAlarmAsync(t => t.Plate == "浙G93002" && t.ReasonCode == "retracted");
        await Host.PublishAsync("浙G93001", bore: "north", lane: 2, ago: TimeSpan.FromMinutes(20));
        await Host.PublishAsync("浙G93002", bore: "north", lane: 1, ago: TimeSpan.FromMinutes(20));
        var judged = await judgedRaised;
        var left = await leftRaised;
        // Its exit, captured long before the alarm, delivered only now: the vehicle had left before it.
        await Host.PublishAsync("浙G93002", Portal.Exit, bore: "north", lane: 1, ago: TimeSpan.FromMinutes(17));
        Assert.Equal(AlarmState.ClearedUnacknowledged, (await leftRetracted).State);

        using var boss = await Host.LoginAsync("boss");
        var before = (await boss.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1"))!;
        Assert.Equal((null, true), Row(before, left.AlarmId));
        Assert.Equal((null, false), Row(before, judged.AlarmId));
        Assert.Equal(HttpStatusCode.Forbidden, (await boss.PostAsJsonAsync($"/api/v1/alarms/{judged.AlarmId}/verdict", new VerdictRequest("false", null))).StatusCode);

        using var op = await Host.LoginAsync("op");
        Assert.Equal(HttpStatusCode.BadRequest, (await op.PostAsJsonAsync($"/api/v1/alarms/{judged.AlarmId}/verdict", new VerdictRequest("maybe", null))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsJsonAsync($"/api/v1/alarms/{Guid.NewGuid()}/verdict", new VerdictRequest("false", null))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{judged.AlarmId}/verdict", new VerdictRequest("false", "nothing on CCTV"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{judged.AlarmId}/verdict", new VerdictRequest("confirmed", " broken down at K3 "))).StatusCode);
        var history = (await op.GetFromJsonAsync<List<JsonElement>>($"/api/v1/alarms/{judged.AlarmId}/history"))!;
        Assert.Contains(history, h => h.TryGetProperty("note", out var n) && n.GetString() == "verdict confirmed: broken down at K3");
        Assert.Equal(2, Host.Store.ReadAudit(actor: "op").Count(a => a.Action == "alarm-verdict" && a.Subject == "alarm:" + judged.AlarmId));

        var after = (await boss.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1"))!;
        Assert.Equal(("confirmed", false), Row(after, judged.AlarmId));
        Assert.Equal((before.Confirmed + 1, before.FalseAlarms, before.Retracted), (after.Confirmed, after.FalseAlarms, after.Retracted));
        Assert.True(after.FalseAlarms >= 1 && after.Retracted >= 1);

        // An operator who knows better overrides the retraction.
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{left.AlarmId}/verdict", new VerdictRequest("confirmed", null))).StatusCode);
        var overridden = (await boss.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1"))!;
        Assert.Equal((after.Confirmed + 1, after.FalseAlarms - 1, after.Retracted), (overridden.Confirmed, overridden.FalseAlarms, overridden.Retracted));

        var csv = await boss.GetStringAsync("/api/v1/reports/incidents.csv?days=1");
        Assert.Contains("seconds_to_acknowledge,verdict,retracted", csv);
        Assert.Contains(",confirmed,yes", csv);

        static (string?, bool) Row(Incidents report, Guid id) => report.Rows.Single(r => r.AlarmId == id) is var r ? (r.Verdict, r.Retracted) : default;
    }

    [Fact]
    public void Days_and_months_of_a_zone_half_an_hour_off_utc_count_each_passage_in_its_own_local_day()
    {
        // India's days begin at 18:30 UTC, inside one of the store's hourly counts: that hour is split at the boundary.
        var directory = Directory.CreateTempSubdirectory("tunnel-report-zone-");
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(directory.FullName));
            var seq = 0;
            Passage At(string utc, bool hazmat = false) => new()
            {
                EventId = Guid.NewGuid(), AgentId = "maoliling-north-entry-1", Seq = ++seq, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
                Lane = 1, CameraId = "cam-north-entry-1", CapturedAt = DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture),
                Vehicle = new VehicleRead { Class = VehicleClass.Truck, Confidence = 0.9, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.9 : 0.01 },
            };
            store.AddPassages([.. new[]
            {
                At("2026-10-31T18:15:00Z"), // 23:45 on 31 October: before the days asked for
                At("2026-10-31T18:45:00Z", hazmat: true), // 00:15 on 1 November
                At("2026-11-01T18:20:00Z"), // 23:50 on 1 November
                At("2026-11-01T18:40:00Z"), // 00:10 on 2 November
                At("2026-11-02T18:35:00Z"), // 00:05 on 3 November: after them
            }.Select(p => (p, p.CapturedAt))]);
            var noon = new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.FromHours(5.5));

            var daily = ManagerReports.Volumes(store, noon, 2, "Asia/Kolkata");
            Assert.Equal(["2026-11-01", "2026-11-02"], daily.Days);
            Assert.Equal([("2026-11-01", 2L, 1L), ("2026-11-02", 1L, 0L)], daily.Rows.Select(r => (r.Day, r.Passages, r.Hazmat)));
            Assert.Equal(1, daily.TotalHazmat);
            var monthly = ManagerReports.Monthly(store, noon, 2, "Asia/Kolkata");
            Assert.Equal([("2026-10", 1L), ("2026-11", 4L)], monthly.Rows.Select(r => (r.Month, r.Passages)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Hazmat_vehicles_are_counted_once_whichever_portal_flagged_them_in_the_day_of_the_entry_that_did()
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-report-hazmat-");
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(directory.FullName));
            var midnight = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.FromHours(8));
            var seq = 0;
            Passage At(Portal portal, DateTimeOffset at, bool hazmat) => new()
            {
                EventId = Guid.NewGuid(), AgentId = $"maoliling-north-{portal}-1".ToLowerInvariant(), Seq = ++seq, Site = "maoliling", Bore = "north",
                Portal = portal, Lane = 1, CameraId = "cam-north-1", CapturedAt = at,
                Vehicle = new VehicleRead { Class = VehicleClass.Truck, Confidence = 0.9, Hazmat = hazmat, HazmatConfidence = hazmat ? 0.9 : 0.01 },
            };
            var passages = new List<Passage>();
            var transits = new List<TransitRecord>();
            void Tanker(DateTimeOffset entered, bool atEntry, bool atExit, bool paired = true)
            {
                var (entry, exit) = (At(Portal.Entry, entered, atEntry), At(Portal.Exit, entered.AddMinutes(3), atExit));
                passages.AddRange([entry, exit]);
                transits.Add(new TransitRecord
                {
                    EntryEventId = entry.EventId, Site = "maoliling", Bore = "north", Lane = 1, VehicleClass = VehicleClass.Truck, Hazmat = atEntry,
                    EnteredAt = entered, ExitEventId = paired ? exit.EventId : null, ExitedAt = paired ? exit.CapturedAt : null,
                    TransitSeconds = paired ? 180 : null, Status = paired ? "exact" : "given-up",
                });
            }
            Tanker(midnight.AddHours(9), atEntry: true, atExit: true); // flagged at both: once
            Tanker(midnight.AddHours(10), atEntry: false, atExit: true); // the entry camera missed the orange panel
            Tanker(midnight.AddHours(11), atEntry: true, atExit: false);
            Tanker(midnight.AddHours(12), atEntry: false, atExit: true, paired: false); // an exit no entry was matched to: on its own
            Tanker(midnight.AddMinutes(-1), atEntry: true, atExit: true); // entered the day before, left on this one: that day's
            store.AddPassages([.. passages.Select(p => (p, p.CapturedAt))]);
            store.UpsertTransits(transits);
            var evening = midnight.AddHours(20);

            var day = ManagerReports.Volumes(store, evening, 1, "Asia/Shanghai");
            Assert.Equal((4L, 2L), (day.TotalHazmat, day.HazmatOnlyAtExit));
            // The table still counts passages flagged at each portal: their sum would count the tankers flagged at both twice.
            Assert.Equal((2L, 4L), (day.Rows.Where(r => r.Portal == "entry").Sum(r => r.Hazmat), day.Rows.Where(r => r.Portal == "exit").Sum(r => r.Hazmat)));
            var twoDays = ManagerReports.Volumes(store, evening, 2, "Asia/Shanghai");
            Assert.Equal((5L, 2L), (twoDays.TotalHazmat, twoDays.HazmatOnlyAtExit));
            var months = ManagerReports.Monthly(store, evening, 2, "Asia/Shanghai");
            Assert.Equal((5L, 2L), (months.TotalHazmat, months.HazmatOnlyAtExit));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_middle_two_as_a_spreadsheet_gives_it()
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-report-median-");
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(directory.FullName));
            var noon = new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.FromHours(8));
            store.UpsertTransits([.. new[] { 170d, 230d }.Select((seconds, i) => new TransitRecord
            {
                EntryEventId = Guid.NewGuid(), Site = "maoliling", Bore = "north", Lane = 1, VehicleClass = VehicleClass.Van,
                EnteredAt = noon.AddMinutes(i), ExitedAt = noon.AddMinutes(i).AddSeconds(seconds), TransitSeconds = seconds, Status = "exact",
            })]);

            var vans = ManagerReports.Times(store, noon, 1, "Asia/Shanghai").Rows.Single();
            Assert.Equal((2, 200d, 230d), (vans.Transits, vans.MedianSeconds, vans.P95Seconds));
            Assert.Equal(55d, ManagerReports.Median([10, 100]));
            Assert.Equal(20d, ManagerReports.Median([10, 20, 100]));
            Assert.Null(ManagerReports.Median([]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Transit_times_leave_out_the_exits_the_matcher_guessed_and_say_how_many_they_left_out()
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-report-guessed-");
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(directory.FullName));
            var noon = new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.FromHours(8));
            TransitRecord Van(int minute, double? seconds, string status) => new()
            {
                EntryEventId = Guid.NewGuid(), Site = "maoliling", Bore = "north", Lane = 1, VehicleClass = VehicleClass.Van,
                EnteredAt = noon.AddMinutes(minute), ExitedAt = seconds is { } s ? noon.AddMinutes(minute).AddSeconds(s) : null, TransitSeconds = seconds,
                Status = status,
            };
            // Two vans read at both portals; two given exits nobody's plate matched, one of them long after (another vehicle's, most
            // likely); one alarmed; one never seen leaving.
            store.UpsertTransits([Van(0, 170, "exact"), Van(1, 190, "fuzzy"), Van(2, 640, "inferred"), Van(3, 20, "inferred"),
                Van(4, 1_800, "exact" + TransitRecord.OverdueMark), Van(5, null, "given-up")]);

            var report = ManagerReports.Times(store, noon, 1, "Asia/Shanghai");
            var vans = report.Rows.Single();
            Assert.Equal((2, 180d, 190d), (vans.Transits, vans.MedianSeconds, vans.P95Seconds));
            Assert.Equal(new TransitsLeftOut(GuessedExit: 2, Overdue: 1, NeverSeenLeaving: 1), report.LeftOut);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Transit_times_of_many_transits_are_each_counted_in_their_day_bore_and_class()
    {
        // Read row by row into their groups (31 days of full traffic are 1.4 million transits); how much memory that
        // saves is a measurement, not a test's: the count of each group is.
        var directory = Directory.CreateTempSubdirectory("tunnel-report-transits-");
        try
        {
            using var store = TunnelStore.Open(StoreOptions.SqliteInDataDirectory(directory.FullName));
            var midnight = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.FromHours(8));
            const int transits = 40_000;
            store.UpsertTransits([.. Enumerable.Range(0, transits).Select(i => new TransitRecord
            {
                EntryEventId = Guid.NewGuid(), Site = "maoliling", Bore = i % 2 == 0 ? "north" : "south", Lane = 1 + i % 2,
                VehicleClass = (VehicleClass)(i % 4), EnteredAt = midnight.AddSeconds(i * 2), TransitSeconds = 150 + i % 100, Status = "exact",
            })]);
            var report = ManagerReports.Times(store, midnight.AddHours(12), 1, "Asia/Shanghai");
            Assert.Equal(transits, report.Rows.Sum(r => r.Transits));
            // Two bores, four classes, each bore seeing two of them (lane and class follow the transit's number alike).
            Assert.Equal(4, report.Rows.Count);
            Assert.All(report.Rows, r => Assert.Equal(transits / 4, r.Transits));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("浙A12345", "浙A12345")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData(null, "")]
    public void Csv_fields_are_quoted_and_formulas_defused(string? value, string expected)
    {
        Assert.Equal(expected, Csv.Field(value));
    }
}
