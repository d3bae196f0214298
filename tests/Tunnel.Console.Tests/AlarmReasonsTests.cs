using System.Net.Http.Json;
using System.Text.Json;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The console hands the browser the reason's code and arguments as the service wrote them; the browser
/// words them (<c>BrowserTests</c>). A reason without a code goes out as written.
/// </summary>
public sealed class AlarmReasonsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 2, 8, 21, 3, TimeSpan.FromHours(8));

    private static readonly AlarmTransition Raised = new()
    {
        AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
        Site = "maoliling", Bore = "north", Plate = "浙J12345", At = At, EnteredAt = At.AddMinutes(-9), Lane = 1,
    };

    /// <summary>Both ways an alarm reaches the wall: a transition as it goes by, and an open alarm in the snapshot.</summary>
    private static IEnumerable<AlarmDto> Projected(AlarmTransition t) =>
    [
        WallProjection.Of(t, plates: false),
        WallProjection.Of(new AlarmView(t.AlarmId, t.Kind, t.State, t.Priority, new BoreKey(t.Site, t.Bore), t.Plate, t.At, t.EnteredAt,
            t.Lane, t.VehicleClass, false, t.Reason, null, null, t.ReasonCode, t.ReasonArgs), plates: false),
    ];

    [Fact]
    public void A_coded_reason_reaches_the_browser_as_code_and_arguments_beside_its_sentence()
    {
        var escalated = Raised.WithReason(AlarmReason.Escalated(TimeSpan.FromMinutes(30)));
        foreach (var dto in Projected(escalated))
        {
            Assert.Equal(("still inside 30 min after entry", "escalated"), (dto.Reason, dto.ReasonCode));
            Assert.Equal(new Dictionary<string, string> { ["insideDuration"] = "1800" }, dto.ReasonArgs);
            var json = JsonSerializer.Serialize(dto, JsonSerializerOptions.Web);
            Assert.Contains("""
                "reasonCode":"escalated","reasonArgs":{"insideDuration":"1800"}
                """, json, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("tow truck on its way")]
    [InlineData("agent <script> offline")]
    [InlineData("left the bore at 08:15:42 by lane 2")] // an engine sentence stored before codes: not parsed, shown as written
    public void A_reason_without_a_code_goes_out_as_written_and_without_one(string reason)
    {
        foreach (var dto in Projected(Raised with { Reason = reason }))
        {
            Assert.Equal(reason, dto.Reason);
            Assert.Null(dto.ReasonCode);
            Assert.Null(dto.ReasonArgs);
        }
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
        Assert.StartsWith("overdue-", alarm.ReasonCode);
        using var op = await host.LoginAsync("op");
        var listed = (await op.GetFromJsonAsync<List<JsonElement>>("/api/v1/alarms"))!
            .Single(a => a.GetProperty("alarmId").GetGuid() == alarm.AlarmId);
        Assert.Equal(alarm.Reason, listed.GetProperty("reason").GetString()); // the existing field stays as it was
        Assert.Equal(alarm.ReasonCode, listed.GetProperty("reasonCode").GetString());
        Assert.Equal(alarm.ReasonArgs, listed.GetProperty("reasonArgs").Deserialize<Dictionary<string, string>>());
    }
}
