using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>A host of its own, so its alarm neither queues behind nor holds up the other browser tests' vehicles.</summary>
public sealed class ClosedAlarmsBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task An_operator_judges_an_alarm_after_the_vehicle_left_and_it_went_off_the_wall()
    {
        var page = await fixture.LoginAsync("op");
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙P40001" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙P40001", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20), cls: VehicleClass.Car);
        var alarm = await raised;
        var card = page.Locator($"li.alarm[data-alarm-id='{alarm.AlarmId}']");
        await card.Locator("button[data-action=ack]").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-state", "active-acknowledged");
        await Host.PublishAsync("浙P40001", Portal.Exit, bore: "south", lane: 1, cls: VehicleClass.Car);
        await Expect(card).ToHaveCountAsync(0);

        var closed = page.GetByTestId("closed-alarms");
        await closed.Locator("summary").ClickAsync();
        var row = closed.Locator($"tr[data-alarm-id='{alarm.AlarmId}']");
        await Expect(row.Locator(".plate")).ToHaveTextAsync("浙P40001");
        await Expect(row.Locator(".plate")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("plate-yellow"));
        await Expect(row.GetByTestId("verdict")).ToHaveTextAsync("未研判");
        await row.Locator("button[data-action=verdict-false]").ClickAsync();
        await Expect(row.GetByTestId("verdict")).ToHaveTextAsync("误报");
        await fixture.ScreenshotAsync(page, "wall-closed-alarms");
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "alarm-verdict" && a.Subject == "alarm:" + alarm.AlarmId);
        await page.Context.CloseAsync();
    }
}
