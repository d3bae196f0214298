using System.Net;
using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

/// <summary>A host of its own: the alarms here must not queue behind, or hold up, other tests' vehicles in a lane.</summary>
public sealed class ClosedAlarmsTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task The_wall_lists_the_shifts_closed_alarms_newest_first_so_an_operator_can_still_judge_them()
    {
        var firstRaised = Host.NextAlarmAsync(t => t.Plate == "浙G95001" && t.State == AlarmState.ActiveUnacknowledged);
        var laterRaised = Host.NextAlarmAsync(t => t.Plate == "浙G95003" && t.State == AlarmState.ActiveUnacknowledged);
        var openRaised = Host.NextAlarmAsync(t => t.Plate == "浙G95002" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙G95001", bore: "north", lane: 1, ago: TimeSpan.FromMinutes(21));
        var closed = await firstRaised;
        await Host.PublishAsync("浙G95003", bore: "north", lane: 2, ago: TimeSpan.FromMinutes(20));
        var later = await laterRaised;
        await Host.PublishAsync("浙G95002", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20));
        var open = await openRaised;
        // Acknowledged, then seen leaving: closed, and off the wall.
        foreach (var (alarm, plate, lane) in new[] { (closed, "浙G95001", 1), (later, "浙G95003", 2) })
        {
            await Host.Service.AcknowledgeAsync(alarm.AlarmId, "op", null);
            var gone = Host.NextAlarmAsync(t => t.AlarmId == alarm.AlarmId && t.State == AlarmState.Closed);
            await Host.PublishAsync(plate, Portal.Exit, bore: "north", lane: lane);
            await gone;
        }

        using var op = await Host.LoginAsync("op");
        var rows = (await op.GetFromJsonAsync<List<IncidentRow>>("/api/v1/alarms/closed"))!;
        var row = rows.Single(r => r.AlarmId == closed.AlarmId);
        Assert.Equal(("浙G95001", "yellow", "closed", "op", null, false), (row.Plate, row.PlateColor, row.State, row.AcknowledgedBy, row.Verdict, row.Retracted));
        Assert.DoesNotContain(rows, r => r.AlarmId == open.AlarmId);
        Assert.Equal([later.AlarmId, closed.AlarmId], rows.Select(r => r.AlarmId));
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "view-closed-alarms");

        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{closed.AlarmId}/verdict", new VerdictRequest("false", null))).StatusCode);
        var judged = (await op.GetFromJsonAsync<List<IncidentRow>>("/api/v1/alarms/closed?hours=1"))!.Single(r => r.AlarmId == closed.AlarmId);
        Assert.Equal("false", judged.Verdict);

        using var boss = await Host.LoginAsync("boss");
        Assert.Equal("浙G9***1", (await boss.GetFromJsonAsync<List<IncidentRow>>("/api/v1/alarms/closed"))!.Single(r => r.AlarmId == closed.AlarmId).Plate);
        Assert.DoesNotContain(Host.Store.ReadAudit(actor: "boss"), a => a.Action == "view-closed-alarms");
        using var maint = await Host.LoginAsync("maint");
        Assert.Equal(HttpStatusCode.Forbidden, (await maint.GetAsync("/api/v1/alarms/closed")).StatusCode);
    }
}
