using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Tests;

public sealed class AlarmReasonsTests
{
    [Theory]
    [InlineData("2 later entrant(s) of lane 1 and 5 of other lanes already left; inside 4.5 min (usual 2.7 min); evidence 9.3", "overdue-overtaken",
        "own=2 lane=1 other=5 insideDuration=270 usualDuration=162 evidence=9.3")]
    [InlineData("inside 38 s, usual transit 2,7 min; evidence 11.0", "overdue-time", "insideDuration=38 usualDuration=162 evidence=11.0")]
    [InlineData("12 of 30 vehicles that entered in the last 10 min are far slower than usual", "congestion", "slow=12 recent=30 minutes=10")]
    [InlineData("left the bore at 08:15:42 by lane 2", "left", "time=08:15:42 lane=2")]
    [InlineData("retracted: a late passage shows it left at 08:15:42, before the alarm", "retracted", "time=08:15:42")]
    [InlineData("still inside 30 min after entry", "escalated", "minutes=30")]
    [InlineData("agent maoliling-north-exit-1 offline: camera stream lost", "agent-offline-error", "agent=maoliling-north-exit-1 error=camera stream lost")]
    [InlineData("agent maoliling-north-exit-1 back online", "agent-online", "agent=maoliling-north-exit-1")]
    [InlineData("agent maoliling-north-exit-1 stopped", "agent-stopped", "agent=maoliling-north-exit-1")]
    [InlineData("traffic in the bore is back to its usual speed", "congestion-cleared", "")]
    [InlineData("a second vehicle, of lane 2, may be the one inside: the unread exit at 08:15:42 fits both", "second-suspect", "lane=2 time=08:15:42")]
    [InlineData("the other suspect left at 08:30:00, so this vehicle left unseen at 08:15:42", "other-suspect-left", "time=08:30:00 unseen=08:15:42")]
    public void Known_engine_sentences_become_a_code_and_parameters(string reason, string code, string args)
    {
        var parts = AlarmReasons.Parse(reason)!;
        Assert.Equal(code, parts.Code);
        Assert.Equal(args, string.Join(' ', parts.Args.OrderBy(a => args.IndexOf(a.Key + "=", StringComparison.Ordinal)).Select(a => $"{a.Key}={a.Value}")));
    }

    [Theory]
    [InlineData("tow truck on its way")]
    [InlineData("agent <script> offline")]
    [InlineData(null)]
    public void Anything_else_has_no_code_and_is_shown_as_written(string? reason)
    {
        Assert.Null(AlarmReasons.Parse(reason));
    }
}

public sealed class AlarmReasonApiTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    [Fact]
    public async Task A_real_overdue_alarm_from_the_engine_carries_a_reason_code_beside_its_english_reason()
    {
        var host = fixture.Host;
        var raised = host.NextAlarmAsync(t => t.Plate == "浙F80001" && t.State == AlarmState.ActiveUnacknowledged);
        await host.PublishAsync("浙F80001", ago: TimeSpan.FromMinutes(20), bore: "south", lane: 2);
        var alarm = await raised;
        using var op = await host.LoginAsync("op");
        var json = await op.GetStringAsync("/api/v1/alarms");
        var listed = (await op.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/v1/alarms"))!
            .Single(a => a.GetProperty("alarmId").GetGuid() == alarm.AlarmId);
        Assert.Equal(alarm.Reason, listed.GetProperty("reason").GetString()); // the existing field stays as it was
        Assert.StartsWith("overdue-", listed.GetProperty("reasonCode").GetString());
        Assert.True(listed.GetProperty("reasonArgs").TryGetProperty("insideDuration", out _), json);
    }
}
