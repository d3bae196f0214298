using System.Net;
using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

/// <summary>The review of the managers' CSV files: times a spreadsheet reads as times, and Chinese files that say what the page says.</summary>
public sealed class ReportsReviewTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;
    private static string Today => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, ReportApi.FindZone("Asia/Shanghai")).ToString("yyyy-MM-dd");

    [Fact]
    public async Task Incident_csv_times_are_local_date_and_time_with_the_time_zone_named_in_the_header()
    {
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙G97001" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙G97001", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;
        using (var op = await Host.LoginAsync("op"))
            Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/acknowledge", new AcknowledgeRequest(null))).StatusCode);
        using var boss = await Host.LoginAsync("boss");
        var row = (await boss.GetFromJsonAsync<Incidents>("/api/v1/reports/incidents?days=1"))!.Rows.Single(r => r.AlarmId == alarm.AlarmId);
        var zone = ReportApi.FindZone("Asia/Shanghai");
        string Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm:ss");

        var english = await boss.GetStringAsync("/api/v1/reports/incidents.csv?days=1");
        Assert.StartsWith("raised (Asia/Shanghai),site,bore,plate,priority,state,acknowledged (Asia/Shanghai),acknowledged_by,", english.TrimStart('\uFEFF'));
        // Ids for a program; both times as a spreadsheet reads a date and time, no "T" and no offset.
        Assert.Contains($"\r\n{Local(row.RaisedAt)},maoliling,south,{row.Plate},high,active-acknowledged,{Local(row.AcknowledgedAt!.Value)},op,", english);
        Assert.DoesNotContain("+08:00", english);

        var chinese = await boss.GetStringAsync("/api/v1/reports/incidents.csv?days=1&lang=zh");
        Assert.StartsWith("报警时间 (Asia/Shanghai),隧道,洞,车牌,级别,状态,确认时间 (Asia/Shanghai),确认人,", chinese.TrimStart('\uFEFF'));
        Assert.Contains($"\r\n{Local(row.RaisedAt)},猫狸岭隧道,南洞,{row.Plate},高,已确认,{Local(row.AcknowledgedAt!.Value)},op,", chinese);
    }

    [Fact]
    public async Task Chinese_volume_files_name_the_tunnel_the_bore_and_the_direction_as_the_page_does()
    {
        await Host.PublishAsync("浙G97002", bore: "north", lane: 2, cls: VehicleClass.Bus);
        var exit = await Host.PublishAsync("浙G97002", Portal.Exit, bore: "north", lane: 2, cls: VehicleClass.Bus);
        await Host.UntilAsync(_ => Host.Store.GetPassage(exit.EventId));
        using var boss = await Host.LoginAsync("boss");

        var daily = await boss.GetStringAsync("/api/v1/reports/daily-volumes.csv?days=1&lang=zh");
        Assert.Matches($@"\r\n{Today},猫狸岭隧道,北洞,驶入,客车,\d+,", daily);
        Assert.Matches($@"\r\n{Today},猫狸岭隧道,北洞,驶出,客车,\d+,", daily);
        Assert.DoesNotContain("maoliling", daily);
        Assert.DoesNotContain("入口", daily.Replace("出入口", ""));

        var monthly = await boss.GetStringAsync("/api/v1/reports/monthly-volumes.csv?lang=zh");
        Assert.Matches($@"\r\n{Today[..7]},猫狸岭隧道,北洞,驶出,客车,\d+,", monthly);

        // The English file keeps the ids a program reads.
        Assert.Matches($@"\r\n{Today},maoliling,north,exit,bus,\d+,", await boss.GetStringAsync("/api/v1/reports/daily-volumes.csv?days=1"));
    }

    [Fact]
    public async Task Hourly_csv_hours_are_local_date_and_time_and_the_chinese_one_names_tunnel_and_bore()
    {
        var last = await Host.PublishAsync("浙G97003", bore: "south", cls: VehicleClass.Van);
        await Host.UntilAsync(_ => Host.Store.GetPassage(last.EventId));
        using var boss = await Host.LoginAsync("boss");
        var chinese = await boss.GetStringAsync("/api/v1/reports/passages-per-hour.csv?lang=zh");
        Assert.StartsWith("小时 (Asia/Shanghai),隧道,洞,车型,车次\r\n", chinese.TrimStart('\uFEFF'));
        Assert.Matches(@"\r\n\d{4}-\d{2}-\d{2} \d{2}:00,猫狸岭隧道,南洞,面包车,[1-9]\d*\r\n", chinese);
        Assert.DoesNotContain("+08:00", chinese);
    }
}
