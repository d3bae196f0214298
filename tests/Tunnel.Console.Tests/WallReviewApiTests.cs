using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Live;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;
using Microsoft.Extensions.DependencyInjection;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The API side of a user review of the wall and the login page: an open alarm's verdict, an alarm's raise time in its
/// vehicle's history, a lock-out's end as data. Read as JSON, as the pages read it.
/// </summary>
public sealed class WallReviewApiTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    /// <summary>Until the store holds <paramref name="count"/> transitions of the alarm.</summary>
    private async Task<IReadOnlyList<AlarmTransition>> StoredAsync(Guid alarm, int count)
    {
        var deadline = DateTimeOffset.UtcNow + ConsoleHost.WaitLimit;
        while (true)
        {
            var history = Host.Store.AlarmHistory(alarm);
            if (history.Count >= count) return history;
            Assert.True(DateTimeOffset.UtcNow < deadline, $"the store never held {count} transitions of alarm {alarm}");
            // The store is written behind the loop: a loop turn per look.
            await Host.Service.Post((_, _) => 0);
        }
    }

    private static async Task<JsonElement> JsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static JsonElement Alarm(JsonElement alarms, Guid id) => alarms.EnumerateArray().Single(a => a.GetProperty("alarmId").GetGuid() == id);

    private static string? Text(JsonElement alarm, string name) => alarm.TryGetProperty(name, out var value) ? value.GetString() : null;

    [Fact]
    public async Task An_open_alarm_carries_its_last_verdict_and_who_gave_it_through_a_later_note_and_a_restart_of_the_console()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙M10001", now));
        using var op = await Host.LoginAsync("op");
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync($"/api/v1/alarms/{id}/verdict", new VerdictRequest("confirmed", "拖车已到"))).StatusCode);
        await Host.Service.AddNoteAsync(id, "op-2", "已通知路政");
        await StoredAsync(id, 3);

        foreach (var path in new[] { "/api/v1/alarms", "/api/v1/snapshot" })
        {
            var root = await JsonAsync(op, path);
            var alarm = Alarm(path.EndsWith("snapshot") ? root.GetProperty("alarms") : root, id);
            Assert.Equal("已通知路政", Text(alarm, "note"));
            Assert.Equal("confirmed", Text(alarm, "verdict"));
            Assert.Equal("op", Text(alarm, "verdictBy"));
        }
        // A console started after the verdict folds it from the store's history.
        using var restarted = new LatestTransitions(Host.Service, Host.Store);
        var view = Host.Service.Snapshot.OpenAlarms.Single(a => a.AlarmId == id);
        var card = AsJson(WallProjection.Of(view, plates: true, restarted.Find(id)));
        Assert.Equal("confirmed", Text(card, "verdict"));
        Assert.Equal("op", Text(card, "verdictBy"));
        // An operator's own words that start alike are a note, not a verdict.
        var note = AsJson(WallProjection.Of(ConsoleHost.Overdue("浙M10001", DateTimeOffset.UtcNow) with { Note = "verdict falsely given by radio", By = "op" }, plates: true));
        Assert.Null(Text(note, "verdict"));
    }

    private static JsonElement AsJson(AlarmDto alarm) => JsonSerializer.SerializeToElement(alarm, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    [Fact]
    public async Task The_vehicle_panel_dates_each_alarm_when_it_was_raised_not_when_it_was_last_acted_on()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙M20001", now));
        var raisedAt = (await StoredAsync(id, 1))[0].At;
        await Host.Service.AcknowledgeAsync(id, "op", null);
        var history = await StoredAsync(id, 2);
        Assert.True(history[^1].At > raisedAt, "the acknowledgement came after the raise");

        using var op = await Host.LoginAsync("op");
        var vehicle = await JsonAsync(op, $"/api/v1/alarms/{id}/vehicle");
        var alarm = Alarm(vehicle.GetProperty("alarms"), id);
        Assert.Equal("active-acknowledged", Text(alarm, "state"));
        Assert.Equal(raisedAt, alarm.GetProperty("raisedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_lock_out_answers_with_its_end_and_the_consoles_time_zone_as_fields_beside_the_message()
    {
        Host.App.Services.GetRequiredService<UserDirectory>().Create("review-locked", ConsoleHost.Password, [Roles.Operator]);
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        HttpResponseMessage? answer = null;
        for (var i = 0; i < 5; i++) answer = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("review-locked", "wrong-password"));
        Assert.Equal((HttpStatusCode)423, answer!.StatusCode);

        var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("locked", Text(body, "error"));
        Assert.StartsWith("too many failed logins; locked until ", Text(body, "message"));
        Assert.True(body.TryGetProperty("lockedUntil", out var until), "no lockedUntil field");
        Assert.InRange(until.GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Equal("Asia/Shanghai", Text(body, "timeZone"));
    }
}
