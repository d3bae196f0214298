using System.Net;
using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Tests;

public sealed class ContactApiTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task Operators_keep_the_directory_with_validation_and_every_change_is_audited()
    {
        using var op = await Host.LoginAsync("op");
        var bad = await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("浙B30001", "王师傅", "call me", null, null));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("phone", (await bad.Content.ReadFromJsonAsync<ApiError>())!.Message);
        Assert.Equal(HttpStatusCode.BadRequest, (await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("", "x", "13800000000", null, null))).StatusCode);

        var saved = await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest(" 浙B30001 ", "王师傅", "138 0000 0001", "宁波危化运输", "夜班"));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal("浙B30001", (await saved.Content.ReadFromJsonAsync<ContactDto>())!.Plate);
        await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("浙B30001", "王师傅", "13800000002", "宁波危化运输", null));
        var found = await (await op.PostAsJsonAsync("/api/v1/contacts/search", new ContactSearch("宁波"))).Content.ReadFromJsonAsync<List<ContactDto>>();
        var contact = Assert.Single(found!, c => c.Plate == "浙B30001");
        Assert.Equal("13800000002", contact.Phone);
        Assert.Equal("op", contact.UpdatedBy);

        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync("/api/v1/contacts/delete", new ContactPlate("浙B30001"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsJsonAsync("/api/v1/contacts/delete", new ContactPlate("浙B30001"))).StatusCode);
        var audit = Host.Store.ReadAudit(actor: "op", subject: "contact:浙B3***1").Select(a => a.Action);
        Assert.Equal(["contact-deleted", "contact-updated", "contact-created"], audit);
    }

    [Theory]
    [InlineData("boss")]
    [InlineData("maint")]
    public async Task Roles_that_do_not_handle_alarms_cannot_read_or_change_the_directory(string user)
    {
        using var client = await Host.LoginAsync(user);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/contacts")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("浙B1", "x", "13800000000", null, null))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/contacts/search", new ContactSearch("浙B"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/contacts/delete", new ContactPlate("浙B1"))).StatusCode);
    }

    [Fact]
    public async Task The_directory_is_searched_and_cleaned_with_the_plate_in_the_body_never_in_the_address_and_against_forgery()
    {
        using var op = await Host.LoginAsync("op");
        await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("浙B30006", "周师傅", "13900000006", "嘉兴物流", null));

        // Searched by a piece of its plate, as typed from a fleet's list: the whole directory when empty.
        var found = await op.PostAsJsonAsync("/api/v1/contacts/search", new ContactSearch("b30006"));
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("周师傅", Assert.Single((await found.Content.ReadFromJsonAsync<List<ContactDto>>())!).Name);
        var all = await (await op.PostAsJsonAsync("/api/v1/contacts/search", new ContactSearch(""))).Content.ReadFromJsonAsync<List<ContactDto>>();
        Assert.Contains(all!, c => c.Plate == "浙B30006");
        Assert.Contains(Host.Store.ReadAudit(actor: "op", subject: "contacts"), a => a.Action == "view-contacts" && a.Detail == "search");

        // The addresses that used to carry the plate are no more: one that still asks is told where to go, and nothing is deleted.
        var byAddress = await op.GetAsync("/api/v1/contacts?search=" + Uri.EscapeDataString("浙B30006"));
        Assert.Equal(HttpStatusCode.BadRequest, byAddress.StatusCode);
        Assert.Contains("POST /api/v1/contacts/search", (await byAddress.Content.ReadFromJsonAsync<ApiError>())!.Message);
        Assert.NotEqual(HttpStatusCode.NoContent, (await op.DeleteAsync("/api/v1/contacts/" + Uri.EscapeDataString("浙B30006"))).StatusCode);
        Assert.NotNull(Host.Store.GetContact("浙B30006"));

        // A page of another site cannot make the operator's browser search or delete: both want the anti-forgery token.
        using var forged = Host.CreateClient(Host.CookieHeader(op));
        Assert.Equal(HttpStatusCode.OK, (await forged.GetAsync("/api/v1/contacts")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await forged.PostAsJsonAsync("/api/v1/contacts/search", new ContactSearch("浙B"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await forged.PostAsJsonAsync("/api/v1/contacts/delete", new ContactPlate("浙B30006"))).StatusCode);
        Assert.NotNull(Host.Store.GetContact("浙B30006"));

        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsJsonAsync("/api/v1/contacts/delete", new ContactPlate(" 浙b 30006"))).StatusCode);
        Assert.Null(Host.Store.GetContact("浙B30006"));
    }

    [Fact]
    public async Task Contacting_the_driver_looks_the_plate_up_then_records_the_attempt_as_an_alarm_note_and_in_the_audit()
    {
        using var op = await Host.LoginAsync("op");
        // Typed from a fleet's list as it was printed: the alarm's plate is 浙B30002 all the same.
        Assert.Equal("浙B30002", (await (await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest(" 浙b 30·002", "李师傅", "13900000003", null, null)))
            .Content.ReadFromJsonAsync<ContactDto>())!.Plate);
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙B30002" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙B30002", ago: TimeSpan.FromMinutes(20), hazmat: true, bore: "south", lane: 2); // its own lane: not queued behind another test's stop
        var alarm = await raised;

        var lookup = await op.GetFromJsonAsync<AlarmContact>($"/api/v1/alarms/{alarm.AlarmId}/contact");
        Assert.Equal("13900000003", lookup!.Contact!.Phone);
        Assert.Empty(lookup.Attempts);

        Assert.Equal(HttpStatusCode.BadRequest,
            (await op.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/contact-attempts", new ContactAttemptRequest("maybe", null))).StatusCode);
        var noted = Host.NextAlarmAsync(t => t.AlarmId == alarm.AlarmId && t.Note != null);
        var attempt = await op.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/contact-attempts", new ContactAttemptRequest("reached", "车辆抛锚，已报清障"));
        Assert.Equal(HttpStatusCode.NoContent, attempt.StatusCode);
        Assert.Equal("contact-driver reached: 车辆抛锚，已报清障", (await noted).Note);

        var history = await op.GetFromJsonAsync<List<AlarmDto>>($"/api/v1/alarms/{alarm.AlarmId}/history");
        Assert.Contains(history!, h => h.Note == "contact-driver reached: 车辆抛锚，已报清障" && h.By == "op");
        var again = await op.GetFromJsonAsync<AlarmContact>($"/api/v1/alarms/{alarm.AlarmId}/contact");
        Assert.Equal("reached", Assert.Single(again!.Attempts).Outcome);
        var audit = Host.Store.ReadAudit(actor: "op", subject: "alarm:" + alarm.AlarmId).Select(a => a.Action).ToList();
        Assert.Equal(["contact-lookup", "view-alarm-history", "contact-driver", "contact-lookup"], audit);

        using var boss = await Host.LoginAsync("boss");
        Assert.Equal(HttpStatusCode.Forbidden, (await boss.GetAsync($"/api/v1/alarms/{alarm.AlarmId}/contact")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_plate_is_reported_not_in_the_directory_and_a_closed_alarm_refuses_the_attempt()
    {
        using var op = await Host.LoginAsync("op");
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙B30003" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙B30003", ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;
        var lookup = await op.GetFromJsonAsync<AlarmContact>($"/api/v1/alarms/{alarm.AlarmId}/contact");
        Assert.Null(lookup!.Contact);
        Assert.Equal("浙B30003", lookup.Plate);
        Assert.Equal(HttpStatusCode.NoContent,
            (await op.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/contact-attempts", new ContactAttemptRequest("not-in-directory", null))).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/v1/alarms/{Guid.NewGuid()}/contact")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict,
            (await op.PostAsJsonAsync($"/api/v1/alarms/{Guid.NewGuid()}/contact-attempts", new ContactAttemptRequest("reached", null))).StatusCode);
    }

    [Fact]
    public async Task An_alarm_naming_two_suspects_looks_both_plates_up()
    {
        using var op = await Host.LoginAsync("op");
        // Only the second suspect's fleet registered its driver: the call may be the one that helps.
        await op.PostAsJsonAsync("/api/v1/contacts", new ContactRequest("浙B30005", "王师傅", "13900000005", "危化运输", null));
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙B30004", now) with
        {
            Alternative = new AlarmAlternative("浙B30005", Guid.NewGuid(), 1, now.AddMinutes(-8), VehicleClass.Truck),
        });
        await Host.UntilAsync(_ => Host.Store.AlarmHistory(id).FirstOrDefault());

        var lookup = (await op.GetFromJsonAsync<AlarmContact>($"/api/v1/alarms/{id}/contact"))!;
        Assert.Equal(("浙B30004", (ContactDto?)null), (lookup.Plate, lookup.Contact));
        Assert.Equal(("浙B30005", "13900000005"), (lookup.SecondPlate, lookup.SecondContact?.Phone));
        Assert.Contains(Host.Store.ReadAudit(actor: "op", subject: "alarm:" + id), a => a.Action == "contact-lookup" && a.Detail == "found");
    }
}
