using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

public sealed class BrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task The_login_page_is_in_chinese_by_default_and_english_on_request()
    {
        var page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = Host.BaseAddress.ToString() });
        await page.GotoAsync("/login");
        await Expect(page.Locator("#submit")).ToHaveTextAsync("登录");
        await fixture.ScreenshotAsync(page, "login-zh");
        await page.FillAsync("#user", "op");
        await page.FillAsync("#password", "not-the-password");
        await page.ClickAsync("#submit");
        await Expect(page.GetByTestId("login-message")).ToHaveTextAsync("用户名或密码错误");
        await page.GotoAsync("/login?lang=en");
        await Expect(page.Locator("#submit")).ToHaveTextAsync("Log in");
        await page.CloseAsync();
    }

    [Fact]
    public async Task An_operator_sees_a_vehicle_arrive_an_overdue_alarm_flash_and_acknowledges_it()
    {
        var page = await fixture.LoginAsync("op");
        await Expect(page.GetByTestId("user")).ToHaveTextAsync("值班员 张");

        await Host.PublishAsync("浙J66666", lane: 2, cls: VehicleClass.Truck, hazmat: true);
        var vehicle = page.Locator("[data-bore=north] tr", new() { HasText = "浙J66666" });
        await Expect(vehicle).ToBeVisibleAsync();
        await Expect(vehicle.Locator(".plate")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("plate-yellow"));
        await Expect(vehicle.Locator(".hazmat")).ToHaveTextAsync("危");

        await Host.PublishAsync("浙J88888", lane: 1, ago: TimeSpan.FromMinutes(20), cls: VehicleClass.Car);
        var alarm = page.Locator("li.alarm", new() { HasText = "浙J88888" });
        await Expect(alarm).ToHaveAttributeAsync("data-state", "active-unacknowledged");
        await Expect(alarm).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bflash\b"));
        // Flashing means a running CSS animation in the priority's colour.
        Assert.StartsWith("flash-", await alarm.EvaluateAsync<string>("e => getComputedStyle(e).animationName"));
        await fixture.ScreenshotAsync(page, "wall-alarm-flashing");

        await alarm.Locator("button[data-action=ack]").ClickAsync();
        await Expect(alarm).ToHaveAttributeAsync("data-state", "active-acknowledged");
        await Expect(alarm).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bflash\b"));
        Assert.Equal("none", await alarm.EvaluateAsync<string>("e => getComputedStyle(e).animationName"));
        await fixture.ScreenshotAsync(page, "wall-alarm-acknowledged");
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "alarm-acknowledge");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Markup_in_a_plate_a_note_and_a_dead_letter_is_shown_as_text()
    {
        const string plate = "<img src=x onerror=window.pwned=1><script>window.pwned=2</script>";
        var raised = Host.NextAlarmAsync(t => t.Plate == plate);
        // The validator keeps such plates out of the engine; an alarm carrying one is raised directly to
        // check the wall's own defence (text nodes, strict CSP).
        await Host.Service.Post((engine, now) => engine.Alarms.Raise(new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.Critical,
            Site = "maoliling", Bore = "south", Plate = plate, At = now, EnteredAt = now.AddMinutes(-12), Lane = 2, Hazmat = true,
        }));
        await raised;

        var page = await fixture.LoginAsync("op");
        var alarm = page.Locator("li.alarm", new() { HasText = "window.pwned=2" });
        await Expect(alarm.Locator(".plate")).ToHaveTextAsync(plate);
        await alarm.Locator("button[data-action=note]").ClickAsync();
        await alarm.Locator("input[name=note]").FillAsync("<b>bold?</b><script>window.pwned=3</script>");
        await alarm.Locator("form button[type=submit]").ClickAsync();
        await Expect(alarm.GetByTestId("alarm-note")).ToHaveTextAsync("<b>bold?</b><script>window.pwned=3</script>");
        Assert.Equal(0, await alarm.Locator("img, b, script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await fixture.ScreenshotAsync(page, "wall-markup-as-text");
        await page.Context.CloseAsync();

        await Host.PublishRawAsync("tunnel/v1/maoliling/north/entry/passage",
            """{"schema":"tunnel.passage.v1","agentId":"maoliling-north-entry-1","plate":{"text":"<script>window.pwned=4</script>"}}""");
        var maintenance = await fixture.LoginAsync("maint");
        Assert.EndsWith("/maintenance", maintenance.Url);
        await Expect(maintenance.GetByTestId("payload").Filter(new() { HasText = "window.pwned=4" })).ToBeVisibleAsync();
        Assert.Null(await maintenance.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await fixture.ScreenshotAsync(maintenance, "maintenance");
        Assert.Empty(fixture.Dialogs);
        await maintenance.Context.CloseAsync();
    }

    [Fact]
    public async Task Each_role_lands_on_its_page_and_is_turned_away_from_the_others()
    {
        var maintenance = await fixture.LoginAsync("maint");
        await maintenance.GotoAsync("/");
        Assert.EndsWith("/denied?ReturnUrl=%2F", maintenance.Url);
        await Expect(maintenance.GetByTestId("login-message")).ToHaveTextAsync("您的角色无权访问该页面");
        await maintenance.Context.CloseAsync();

        await Host.PublishAsync("浙C12321", bore: "south", cls: VehicleClass.Car);
        var manager = await fixture.LoginAsync("boss");
        Assert.EndsWith("/reports", manager.Url);
        await Expect(manager.GetByTestId("chart").Locator("canvas")).ToBeVisibleAsync();
        await Expect(manager.Locator("#csv")).ToHaveAttributeAsync("href", "/api/v1/reports/passages-per-hour.csv");
        await fixture.ScreenshotAsync(manager, "reports");
        await manager.GotoAsync("/maintenance");
        Assert.Contains("/denied", manager.Url);
        // The wall, read-only and with masked plates.
        await manager.GotoAsync("/");
        await Expect(manager.Locator("[data-bore=south] .plate", new() { HasText = "浙C1***1" })).ToBeVisibleAsync();
        Assert.Equal(0, await manager.Locator("button[data-action=ack]").CountAsync());
        await manager.Context.CloseAsync();
    }
}
