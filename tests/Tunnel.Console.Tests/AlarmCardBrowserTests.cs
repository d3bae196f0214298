using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;
using static Tunnel.WebConsole.Tests.WallPage;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// What an alarm card tells the operator at 3 a.m.: what each suspect looks like on camera (an unread plate included), and
/// the record of what was done (the shelf, the latest note, the call to the driver) through the transitions that follow.
/// A host of its own: the alarms here stay open.
/// </summary>
public sealed class AlarmCardBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    private static Task<string> ClockAsync(IPage page, DateTimeOffset at) => page.EvaluateAsync<string>("""
        at => new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(at))
        """, at.ToString("O"));

    [Fact]
    public async Task A_card_says_what_each_suspect_looks_like_class_plate_colour_hazmat_lane_and_entry_even_with_the_plate_unread_or_masked()
    {
        // A bus with hazardous goods whose plate no camera read, stopped in lane 2: raised by the engine itself.
        var unreadRaised = Host.NextAlarmAsync(t => t.Kind == AlarmKind.Overdue && t.Plate is null && t.Lane == 2);
        var bus = await Host.PublishAsync(null, lane: 2, ago: TimeSpan.FromMinutes(20), cls: VehicleClass.Bus, hazmat: true);
        var unread = await unreadRaised;
        // A van with hazardous goods and a yellow plate, inside: the second suspect of a truck's alarm.
        var van = await Host.PublishAsync("浙K70002", lane: 1, cls: VehicleClass.Van, hazmat: true);
        await Host.UntilAsync(s => s.Bores.SelectMany(b => b.Inside).FirstOrDefault(v => v.EntryEventId == van.EventId));
        var truck = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙K70001", now) with
        {
            EnteredAt = van.CapturedAt.AddSeconds(-40), VehicleClass = VehicleClass.Truck, PlateColor = PlateColor.Yellow, Hazmat = false,
            Alternative = new AlarmAlternative("浙K70002", van.EventId, 1, van.CapturedAt, VehicleClass.Van),
        });

        var page = await fixture.LoginAsync("op");
        var unreadCard = page.Locator($"li.alarm[data-alarm-id='{unread.AlarmId}']");
        await Expect(unreadCard.Locator(".alarm-head .plate")).ToHaveTextAsync("未识别");
        await Expect(unreadCard.GetByTestId("alarm-vehicle")).ToHaveTextAsync("客车");
        await Expect(unreadCard.Locator(".alarm-head .hazmat")).ToHaveTextAsync("危");
        await Expect(unreadCard.GetByTestId("alarm-lane")).ToHaveTextAsync("2 车道");
        await Expect(unreadCard.GetByTestId("alarm-entered")).ToHaveTextAsync("驶入 " + await ClockAsync(page, bus.CapturedAt));

        var truckCard = page.Locator($"li.alarm[data-alarm-id='{truck}']");
        await Expect(truckCard.GetByTestId("alarm-vehicle")).ToHaveTextAsync("黄牌 · 货车");
        Assert.Equal(0, await truckCard.Locator(".alarm-head .hazmat").CountAsync());
        var second = truckCard.GetByTestId("second-suspect");
        await Expect(second.Locator(".plate")).ToHaveTextAsync("浙K70002");
        await Expect(second.Locator(".plate")).ToHaveClassAsync(new Regex("plate-yellow"));
        await Expect(second.GetByTestId("suspect-vehicle")).ToHaveTextAsync("黄牌 · 面包车");
        await Expect(second.Locator(".hazmat")).ToHaveTextAsync("危");
        await Expect(second).ToContainTextAsync($"1 车道，{await ClockAsync(page, van.CapturedAt)} 驶入");
        // Pushes and snapshots alike: what the second suspect looks like stays through the next ones.
        await Host.Service.AddNoteAsync(truck, "op", "巡逻车已出发");
        await Expect(truckCard.GetByTestId("alarm-note")).ToHaveTextAsync("巡逻车已出发");
        await NextSnapshotAsync(page);
        await Expect(second.GetByTestId("suspect-vehicle")).ToHaveTextAsync("黄牌 · 面包车");
        await Expect(second.Locator(".hazmat")).ToHaveTextAsync("危");
        await fixture.ScreenshotAsync(page, "wall-alarm-vehicle");

        await page.GotoAsync("/?lang=en");
        await Expect(truckCard.GetByTestId("alarm-vehicle")).ToHaveTextAsync("yellow plate · truck");
        await Expect(second.GetByTestId("suspect-vehicle")).ToHaveTextAsync("yellow plate · van");
        await Expect(unreadCard.GetByTestId("alarm-vehicle")).ToHaveTextAsync("bus");
        await page.Context.CloseAsync();

        // A role without the plate grant: plates masked, what to look for on camera all the same.
        var manager = await fixture.LoginAsync("boss");
        await manager.GotoAsync("/");
        var masked = manager.Locator($"li.alarm[data-alarm-id='{truck}']");
        await Expect(masked.Locator(".alarm-head .plate")).ToHaveTextAsync("浙K7***1");
        await Expect(masked.GetByTestId("alarm-vehicle")).ToHaveTextAsync("黄牌 · 货车");
        await Expect(masked.GetByTestId("second-suspect").Locator(".plate")).ToHaveTextAsync("浙K7***2");
        await Expect(masked.GetByTestId("suspect-vehicle")).ToHaveTextAsync("黄牌 · 面包车");
        await Expect(manager.Locator($"li.alarm[data-alarm-id='{unread.AlarmId}']").GetByTestId("alarm-vehicle")).ToHaveTextAsync("客车");
        Assert.Equal(0, await manager.Locator("li.alarm", new() { HasText = "浙K70001" }).CountAsync());
        Assert.Equal(0, await manager.Locator("li.alarm", new() { HasText = "浙K70002" }).CountAsync());
        await manager.Context.CloseAsync();
    }

    [Fact]
    public async Task A_shelf_keeps_its_reason_through_a_note_and_the_call_to_the_driver_and_the_alarms_own_reason_stay_after_acknowledging()
    {
        const string plate = "浙K71001";
        var raised = await Host.RaiseAsync(now => (ConsoleHost.Overdue(plate, now) with { EnteredAt = now.AddMinutes(-9), VehicleClass = VehicleClass.Car })
            .WithReason(AlarmReason.OverTime(TimeSpan.FromSeconds(540), TimeSpan.FromSeconds(198), 9.4)));
        const string ownReason = "已在洞内 9.0 分钟，通常通行 3.3 分钟；证据 9.4";

        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{raised}']");
        await Expect(card.GetByTestId("alarm-reason")).ToHaveTextAsync(ownReason);

        // The driver is called; then a colleague acknowledges, without a note.
        using var api = await Host.LoginAsync("op");
        var called = await api.PostAsJsonAsync($"/api/v1/alarms/{raised}/contact-attempts", new { outcome = "no-answer", note = "<b>打了两次</b> " + plate });
        Assert.Equal(System.Net.HttpStatusCode.NoContent, called.StatusCode);
        var call = $"联系驾驶员：无人接听 · <b>打了两次</b> {plate}";
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync(call);
        await Host.Service.AcknowledgeAsync(raised, "op-2", null);
        await Expect(card).ToHaveAttributeAsync("data-state", "active-acknowledged");
        await NextSnapshotAsync(page);
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync(call);
        await Expect(card.GetByTestId("alarm-reason")).ToHaveTextAsync(ownReason);

        // Shelved with a reason; then a note on the shelved alarm.
        var until = DateTimeOffset.UtcNow.AddMinutes(60);
        await Host.Service.ShelveAsync(raised, "op", $"拖车已出发 {plate}", until);
        var shelf = $"搁置至 {await ClockAsync(page, until)}（拖车已出发 {plate}，op）";
        await Expect(card.GetByTestId("alarm-shelved")).ToHaveTextAsync(shelf);
        const string hostile = "<img src=x onerror=window.pwned=7> 路政已到场";
        await Host.Service.AddNoteAsync(raised, "op-2", hostile + " " + plate);
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync($"{hostile} {plate}");

        // Through the push and the snapshots after it, and after a reload: the shelf, the call, the alarm's own reason.
        foreach (var step in new[] { "push", "snapshot", "reload" })
        {
            if (step == "snapshot") await NextSnapshotAsync(page);
            if (step == "reload") await page.ReloadAsync();
            await Expect(card).ToHaveAttributeAsync("data-state", "shelved");
            await Expect(card.GetByTestId("alarm-shelved")).ToHaveTextAsync(shelf);
            await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync($"{hostile} {plate}");
            await Expect(card.GetByTestId("alarm-contact")).ToHaveTextAsync(call);
            await Expect(card.GetByTestId("alarm-reason")).ToHaveTextAsync(ownReason);
        }
        await Expect(card.Locator(".note-by").First).ToContainTextAsync("op-2");
        Assert.Equal(0, await card.Locator("img, b").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await page.Context.CloseAsync();

        // A role without the plate grant reads the same record with the plates in it masked.
        var manager = await fixture.LoginAsync("boss");
        await manager.GotoAsync("/");
        var masked = manager.Locator($"li.alarm[data-alarm-id='{raised}']");
        await Expect(masked.GetByTestId("alarm-shelved")).ToHaveTextAsync($"搁置至 {await ClockAsync(manager, until)}（拖车已出发 浙K7***1，op）");
        await Expect(masked.GetByTestId("alarm-note")).ToHaveTextAsync($"{hostile} 浙K7***1");
        await Expect(masked.GetByTestId("alarm-contact")).ToHaveTextAsync("联系驾驶员：无人接听 · <b>打了两次</b> 浙K7***1");
        Assert.Equal(0, await manager.Locator("li.alarm", new() { HasText = plate }).CountAsync());
        await manager.Context.CloseAsync();

        // Shelved by mistake: lifted from the card, it is back as it was before the shelf (acknowledged) and shelvable again.
        var again = await fixture.LoginAsync("op");
        var lifted = again.Locator($"li.alarm[data-alarm-id='{raised}']");
        await Expect(lifted.Locator("button[data-action=shelve]")).ToBeHiddenAsync();
        await lifted.Locator("button[data-action=unshelve]").ClickAsync();
        await Expect(lifted).ToHaveAttributeAsync("data-state", "active-acknowledged");
        await Expect(lifted.GetByTestId("alarm-shelved")).ToHaveCountAsync(0);
        await Expect(lifted.Locator("button[data-action=unshelve]")).ToBeHiddenAsync();
        await Expect(lifted.Locator("button[data-action=shelve]")).ToBeVisibleAsync();
        await again.Context.CloseAsync();
    }

    [Fact]
    public async Task A_vehicle_seen_leaving_is_confirmed_from_its_card_which_then_leaves_the_wall()
    {
        var raised = Host.NextAlarmAsync(t => t.Kind == AlarmKind.Overdue && t.Plate == "浙K71001");
        var car = await Host.PublishAsync("浙K71001", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;

        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{alarm.AlarmId}']");
        var gone = card.Locator("button[data-action=seen-leaving]");
        await Expect(gone).ToHaveTextAsync("车辆已离开");
        // Asked once more, with how it was checked: nothing is sent by the first click.
        await gone.ClickAsync();
        var form = card.GetByTestId("seen-leaving-form");
        await form.Locator("input[name=note]").FillAsync("监控核实：已驶出");
        Assert.Equal(AlarmState.ActiveUnacknowledged, Host.Service.Snapshot.OpenAlarms.Single(a => a.AlarmId == alarm.AlarmId).State);
        await form.Locator("button[type=submit]").ClickAsync();

        await Expect(card).ToHaveCountAsync(0);
        await Host.UntilAsync(s => s.Bores.SelectMany(b => b.Inside).Any(v => v.EntryEventId == car.EventId) ? null : "gone");
        var history = Host.Store.AlarmHistory(alarm.AlarmId);
        Assert.Equal([AlarmState.ActiveUnacknowledged, AlarmState.ActiveAcknowledged, AlarmState.Closed], history.Select(t => t.State));
        Assert.Equal(("op", "监控核实：已驶出"), (history[1].By, history[1].Note));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Contacting_the_driver_of_an_alarm_naming_two_suspects_shows_both_lookups()
    {
        using var api = await Host.LoginAsync("op");
        await api.PostAsJsonAsync("/api/v1/contacts", new Api.ContactRequest("浙K70002", "赵师傅", "139 0000 0702", null, null));
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙K70001", now, bore: "south", lane: 2) with
        {
            Alternative = new AlarmAlternative("浙K70002", Guid.NewGuid(), 2, now.AddMinutes(-8), VehicleClass.Van),
        });

        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        await card.Locator("button[data-action=contact]").ClickAsync();
        await Expect(card.GetByTestId("contact-missing").First).ToBeVisibleAsync();
        var second = card.GetByTestId("contact-second");
        await Expect(second.Locator(".plate")).ToHaveTextAsync("浙K70002");
        await Expect(second.GetByTestId("contact-phone")).ToHaveTextAsync("139 0000 0702");
        // Someone can be called: the outcomes of a call, not "not in the directory".
        await Expect(card.Locator("button[data-outcome=reached]")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
