using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

public sealed class BrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Theory]
    [InlineData("https", true)]
    [InlineData(null, false)]
    public async Task Behind_a_proxy_on_this_machine_that_serves_https_the_session_cookie_is_secure(string? forwardedProto, bool secure)
    {
        // Kestrel over loopback, as a proxy on the same machine reaches it.
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new Api.LoginRequest("op", ConsoleHost.Password)),
        };
        if (forwardedProto is not null) request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        var response = await client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(ConsoleSetup.AuthCookie + "="));
        Assert.Equal(secure, cookie.Contains("; secure", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_alarms_minutes_inside_are_counted_on_the_services_clock_not_the_browsers()
    {
        const string plate = "浙L71234";
        var page = await fixture.LoginAsync("op");
        // A control-room PC whose clock is three hours behind (the demo's faster clock looks the same to a page).
        await page.Clock.InstallAsync(new ClockInstallOptions { TimeDate = DateTime.UtcNow.AddHours(-3) });
        await page.ReloadAsync();
        await Expect(page.Locator("#conn.up")).ToBeVisibleAsync();
        await Host.Service.Post((engine, now) => engine.Alarms.Raise(new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = plate, At = now, EnteredAt = now.AddMinutes(-12).AddSeconds(-20), Lane = 1,
        }));
        var alarm = page.Locator("li.alarm", new() { HasText = plate });
        await Expect(alarm.Locator(".elapsed")).ToHaveTextAsync("已 12 分钟");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Alarms_whose_vehicle_is_still_inside_come_first_and_a_silent_wall_says_so()
    {
        var (left, inside) = (Guid.NewGuid(), Guid.NewGuid());
        await Host.Service.Post((engine, now) =>
        {
            AlarmTransition Alarm(Guid id, string plate, AlarmPriority priority) => new()
            {
                AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = priority,
                Site = "maoliling", Bore = "south", Plate = plate, At = now, EnteredAt = now.AddMinutes(-11), Lane = 2,
            };
            // A critical alarm whose vehicle has left since, and a medium one whose vehicle is still inside.
            engine.Alarms.Raise(Alarm(left, "浙L80001", AlarmPriority.Critical));
            engine.Alarms.Raise(Alarm(inside, "浙L80002", AlarmPriority.Medium));
            engine.Alarms.ConditionCleared(left, now, AlarmReason.Left(now, 2));
            return 0;
        });
        var page = await fixture.LoginAsync("op");
        var cards = page.Locator($"li.alarm[data-alarm-id='{left}'], li.alarm[data-alarm-id='{inside}']");
        await Expect(cards).ToHaveCountAsync(2);
        await Expect(cards.Nth(0)).ToHaveAttributeAsync("data-alarm-id", inside.ToString());
        await Expect(cards.Nth(1)).ToHaveAttributeAsync("data-alarm-id", left.ToString());
        // Minutes inside only while inside; when it entered, on both.
        await Expect(cards.Nth(0).Locator(".elapsed")).ToHaveTextAsync("已 11 分钟");
        await Expect(cards.Nth(1).Locator(".elapsed")).ToHaveCountAsync(0);
        await Expect(cards.Nth(1).GetByTestId("alarm-entered")).ToContainTextAsync("驶入 ");
        // Headless, the page was never clicked: it cannot sound, and says so, its button flashing while an alarm waits.
        await Expect(page.GetByTestId("sound-off")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("sound-enable")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bflash\b"));
        // Off the wall again for the other tests of this host: cleared and acknowledged, so closed.
        await Host.Service.Post((engine, now) => { engine.Alarms.ConditionCleared(inside, now, AlarmReason.Left(now, 2)); return 0; });
        foreach (var id in new[] { left, inside }) await Host.Service.AcknowledgeAsync(id, "op", null);
        await page.Context.CloseAsync();
    }

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
        // The engine's English reason, worded in Chinese by the console.
        await Expect(alarm.GetByTestId("alarm-reason")).ToContainTextAsync("证据");
        await fixture.ScreenshotAsync(page, "wall-alarm-flashing");

        await alarm.Locator("button[data-action=ack]").ClickAsync();
        await Expect(alarm).ToHaveAttributeAsync("data-state", "active-acknowledged");
        await Expect(alarm).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bflash\b"));
        Assert.Equal("none", await alarm.EvaluateAsync<string>("e => getComputedStyle(e).animationName"));
        await fixture.ScreenshotAsync(page, "wall-alarm-acknowledged");
        // Audited once the acknowledgement is stored, which may come after the live update the page shows.
        await Host.UntilAsync(_ => Host.Store.ReadAudit(actor: "op").FirstOrDefault(a => a.Action == "alarm-acknowledge"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_alarm_naming_two_suspects_shows_and_speaks_both_plates()
    {
        var page = await fixture.LoginAsync("op");
        var now = DateTimeOffset.UtcNow;
        // Raised as the engine raises one: a stop, and the unread exit of the first vehicle past it.
        await Host.Service.Post((engine, at) => engine.Alarms.Raise(new AlarmTransition
        {
            AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙J31001", At = at, Lane = 1, EnteredAt = now.AddMinutes(-6),
            VehicleClass = VehicleClass.Car, Reason = "inside 6.0 min, usual transit 3.0 min; evidence 9.4",
            Alternative = new AlarmAlternative("浙H31002", Guid.NewGuid(), 1, now.AddMinutes(-5.9), VehicleClass.Van),
        }));
        var alarm = page.Locator("li.alarm", new() { HasText = "浙J31001" });
        var second = alarm.GetByTestId("second-suspect");
        await Expect(second).ToContainTextAsync("或");
        await Expect(second.Locator(".plate")).ToHaveTextAsync("浙H31002");
        // On a line of its own, with its own lane and entry time in plain sight (not only in a tooltip), and not
        // in the first plate's line, whose lane and minutes would read as the second's.
        await Expect(second).ToContainTextAsync("1 车道，");
        await Expect(second).ToContainTextAsync("驶入");
        Assert.Equal(0, await alarm.Locator(".alarm-head [data-testid=second-suspect]").CountAsync());
        await fixture.ScreenshotAsync(page, "wall-alarm-two-suspects");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_wall_asks_for_an_alarms_announcement_by_its_id_and_no_url_it_requests_carries_the_plate()
    {
        var page = await fixture.LoginAsync("op");
        var urls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, request) => urls.Enqueue(request.Url);
        var id = Guid.NewGuid();
        await Host.Service.Post((engine, at) => engine.Alarms.Raise(new AlarmTransition
        {
            AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = "浙J32001", At = at, Lane = 1, EnteredAt = at.AddMinutes(-6),
            Alternative = new AlarmAlternative("浙H32002", Guid.NewGuid(), 1, at.AddMinutes(-5.9), VehicleClass.Van),
        }));
        await Expect(page.Locator($"li.alarm[data-alarm-id='{id}']")).ToBeVisibleAsync();
        // The page asks for this alarm's speech, by its id or (as it did) by its text.
        var asked = page.WaitForRequestAsync(r => r.Url.Contains("speech") && r.Url.Contains(id.ToString()) || r.Url.Contains("J32001"));
        // The click lets the page sound; it speaks the waiting alarms within seconds.
        await page.GetByTestId("sound-enable").ClickAsync();
        var request = await asked;

        // Neither plate, raw or percent-encoded (its letters and digits stay as they are), in any request of the page.
        Assert.DoesNotContain(urls, u => u.Contains("J32001") || u.Contains("H32002"));
        Assert.Equal(new Uri(Host.BaseAddress, $"/api/v1/alarms/{id}/speech").ToString(), request.Url);
        var response = (await request.ResponseAsync())!;
        Assert.Equal(200, response.Status);
        Assert.Equal("audio/wav", response.Headers["content-type"]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_coded_reason_is_worded_in_the_reader_s_language_and_any_other_is_shown_as_written_as_text()
    {
        var now = DateTimeOffset.UtcNow;
        var overtaken = AlarmReason.Overtaken(2, 1, 5, TimeSpan.FromSeconds(270), TimeSpan.FromSeconds(162), 9.34);
        var escalated = AlarmReason.Escalated(TimeSpan.FromMinutes(30));
        var hostileError = AlarmReason.AgentOfflineError("maoliling-south-exit-2", "<img src=x onerror=window.pwned=5>");
        const string uncoded = "<b>inside 6.0 min</b>, usual transit 3.0 min; evidence 9.4"; // written before codes
        var shelved = AlarmReason.Shelved("拖车已出发 <i>tow truck</i>");
        // Agents stamp UTC: the unread exit at 00:22:27Z is 08:22:27 on a console in Asia/Shanghai, in either language.
        var secondSuspect = AlarmReason.SecondSuspect(2, new DateTimeOffset(2026, 11, 2, 0, 22, 27, TimeSpan.Zero));
        var ids = Enumerable.Range(0, 7).Select(_ => Guid.NewGuid()).ToArray();
        AlarmTransition Alarm(int i, string plate) => new()
        {
            AlarmId = ids[i], Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
            Site = "maoliling", Bore = "north", Plate = plate, At = now, Lane = 1, EnteredAt = now.AddMinutes(-9), VehicleClass = VehicleClass.Car,
        };
        await Host.Service.Post((engine, _) =>
        {
            engine.Alarms.Raise(Alarm(0, "浙J51000").WithReason(overtaken));
            engine.Alarms.Raise(Alarm(1, "浙J51001").WithReason(escalated));
            engine.Alarms.Raise(Alarm(2, "浙J51002").WithReason(hostileError) with { Kind = AlarmKind.AgentOffline, Plate = null, AgentId = "maoliling-south-exit-2" });
            engine.Alarms.Raise(Alarm(3, "浙J51003") with { Reason = uncoded });
            engine.Alarms.Raise(Alarm(4, "浙J51004").WithReason(shelved));
            engine.Alarms.Raise(Alarm(6, "浙J51006").WithReason(secondSuspect));
            // A code of a later build: this one does not know it, and shows the sentence.
            return engine.Alarms.Raise(Alarm(5, "浙J51005") with
            {
                Reason = "wheel clamp fitted at 08:15:42", ReasonCode = "clamped", ReasonArgs = new Dictionary<string, string> { ["time"] = "08:15:42" },
            });
        });

        var page = await fixture.LoginAsync("op");
        ILocator Reason(int i) => page.Locator($"li.alarm[data-alarm-id='{ids[i]}']").GetByTestId("alarm-reason");
        await Expect(Reason(0)).ToHaveTextAsync("1 车道有 2 辆后入车辆、其他车道有 5 辆后入车辆已驶出；已在洞内 4.5 分钟（通常 2.7 分钟）；证据 9.3");
        await Expect(Reason(1)).ToHaveTextAsync("驶入 30 分钟后仍在洞内");
        await Expect(Reason(2)).ToHaveTextAsync("设备 maoliling-south-exit-2 离线：<img src=x onerror=window.pwned=5>");
        await Expect(Reason(3)).ToHaveTextAsync(uncoded);
        await Expect(Reason(4)).ToHaveTextAsync(shelved.Text);
        await Expect(Reason(5)).ToHaveTextAsync("wheel clamp fitted at 08:15:42");
        await Expect(Reason(6)).ToHaveTextAsync("另一辆车（2 车道）也可能是滞留车：08:22:27 未识别车牌的出口记录与两车都吻合");

        await page.GotoAsync("/?lang=en");
        await Expect(Reason(6)).ToHaveTextAsync("a second vehicle, of lane 2, may be the one inside: the unread exit at 08:22:27 fits both");
        await Expect(Reason(0)).ToHaveTextAsync(overtaken.Text);
        await Expect(Reason(1)).ToHaveTextAsync("still inside 30 min after entry");
        await Expect(Reason(2)).ToHaveTextAsync(hostileError.Text);
        await Expect(Reason(3)).ToHaveTextAsync(uncoded);
        await Expect(Reason(4)).ToHaveTextAsync(shelved.Text);
        await Expect(Reason(5)).ToHaveTextAsync("wheel clamp fitted at 08:15:42");
        Assert.Equal(0, await page.Locator("li.alarm .reason img, li.alarm .reason b, li.alarm .reason i").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await page.Context.CloseAsync();

        await Host.Service.Post((engine, at) =>
        {
            foreach (var id in ids) engine.Alarms.ConditionCleared(id, at, AlarmReason.LeftWhileDown());
            foreach (var id in ids) engine.Alarms.Acknowledge(id, "op", null, at);
            return ids.Length;
        });
    }

    [Fact]
    public async Task An_operator_sees_recent_passages_with_thumbnails_and_an_alarms_entry_snapshot_and_history()
    {
        var page = await fixture.LoginAsync("op");
        var passed = await Host.PublishAsync("浙K20001", bore: "south", cls: VehicleClass.Car, snapshot: ConsoleHost.Jpeg);
        var card = page.Locator($"[data-bore=south] [data-passage='{passed.EventId}']");
        await Expect(card.Locator(".plate")).ToHaveTextAsync("浙K20001");
        // Decoded by the browser: the image really came through the API (session cookie, CSP img-src 'self').
        await Expect(card.Locator("img.thumb")).ToHaveJSPropertyAsync("naturalWidth", 96);

        await Host.PublishAsync("浙K20002", lane: 2, ago: TimeSpan.FromMinutes(20), cls: VehicleClass.Truck, snapshot: ConsoleHost.Jpeg);
        var alarm = page.Locator("li.alarm", new() { HasText = "浙K20002" });
        await alarm.Locator("button[data-action=vehicle]").ClickAsync();
        var vehicle = alarm.GetByTestId("vehicle-history");
        await Expect(vehicle.Locator("img.entry-snapshot")).ToHaveJSPropertyAsync("naturalWidth", 96);
        await Expect(vehicle.GetByTestId("vehicle-passages").Locator("tr")).ToHaveCountAsync(1);
        await fixture.ScreenshotAsync(page, "wall-vehicle-history");
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "view-vehicle-history");
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "view-snapshot");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_registers_a_driver_then_contacts_them_from_the_alarm_and_the_outcome_is_noted()
    {
        var page = await fixture.LoginAsync("op");
        // Every request the directory and the wall make from here on, the pages themselves (the browser's history) included.
        var requested = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Context.Request += (_, request) => requested.Enqueue(request.Url);
        await page.GotoAsync("/contacts");
        var form = page.GetByTestId("contact-form");
        await form.Locator("input[name=plate]").FillAsync("浙K30001");
        await form.Locator("input[name=name]").FillAsync("<b>王</b>师傅");
        await form.Locator("input[name=phone]").FillAsync("138 0000 0001");
        await form.Locator("input[name=company]").FillAsync("宁波危化运输");
        await form.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("[data-contact='浙K30001']")).ToContainTextAsync("<b>王</b>师傅");
        await fixture.ScreenshotAsync(page, "contacts");

        // Another driver, found by a piece of the plate and removed.
        await form.Locator("input[name=plate]").FillAsync("浙K30009");
        await form.Locator("input[name=name]").FillAsync("李师傅");
        await form.Locator("input[name=phone]").FillAsync("138 0000 0009");
        await form.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("[data-contact='浙K30009']")).ToBeVisibleAsync();
        var search = page.Locator("#search-form");
        await search.Locator("input[name=search]").FillAsync("k30009");
        await search.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("[data-contact]")).ToHaveCountAsync(1);
        // The operator confirms, without a dialog the fixture would count as unexpected.
        await page.EvaluateAsync("() => { window.confirm = () => true; }");
        await page.Locator("[data-contact='浙K30009'] button[data-action=delete]").ClickAsync();
        await Expect(page.Locator("[data-contact]")).ToHaveCountAsync(0);
        Assert.Null(Host.Store.GetContact("浙K30009"));

        await page.GotoAsync("/");
        await Host.PublishAsync("浙K30001", bore: "south", lane: 1, ago: TimeSpan.FromMinutes(20), hazmat: true);
        var alarm = page.Locator("li.alarm", new() { HasText = "浙K30001" });
        await alarm.Locator("button[data-action=contact]").ClickAsync();
        await Expect(alarm.GetByTestId("contact-phone")).ToHaveTextAsync("138 0000 0001");
        await alarm.Locator("input[name=contact-note]").FillAsync("已报清障");
        await alarm.Locator("button[data-outcome=reached]").ClickAsync();
        await Expect(alarm.GetByTestId("alarm-note")).ToHaveTextAsync("联系驾驶员：已接通 · 已报清障");
        await fixture.ScreenshotAsync(page, "wall-contact-driver");
        Assert.Contains(Host.Store.ReadAudit(actor: "op"), a => a.Action == "contact-driver" && a.Detail == "reached");

        // Proxies log addresses and browsers keep them: the plates went in bodies, the lookup by the alarm's id.
        var urls = requested.Select(Uri.UnescapeDataString).ToList();
        Assert.DoesNotContain(urls, u => u.Contains("浙", StringComparison.Ordinal) || u.Contains("k3000", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(urls, u => u.EndsWith("/api/v1/contacts/search", StringComparison.Ordinal));
        Assert.Contains(urls, u => u.EndsWith("/api/v1/contacts/delete", StringComparison.Ordinal));
        Assert.Contains(urls, u => u.EndsWith("/contact", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_admin_retires_a_user_on_the_users_page_and_a_user_changes_their_own_password()
    {
        var users = (Security.UserDirectory)Host.App.Services.GetService(typeof(Security.UserDirectory))!;
        users.Create("browser-leaver", ConsoleHost.Password, [Security.Roles.Operator]);
        users.Create("browser-self", ConsoleHost.Password, [Security.Roles.Manager]);

        // The leaver's wall is open and live when the admin retires the account.
        var leaver = await fixture.LoginAsync("browser-leaver");
        await Expect(leaver.Locator("#conn.up")).ToBeVisibleAsync();

        var admin = await fixture.LoginAsync("admin", ConsoleHost.AdminPassword);
        await admin.GotoAsync("/users");
        var row = admin.Locator("[data-user=browser-leaver]");
        await row.Locator("button[data-action=retire]").ClickAsync();
        await Expect(row.GetByTestId("user-status")).ToHaveTextAsync("已停用");
        await fixture.ScreenshotAsync(admin, "users");
        await admin.Context.CloseAsync();

        // Its live feed ends too, and does not come back: the WebSocket made no HTTP request the cookie check could refuse.
        await Expect(leaver.Locator("#conn.down")).ToBeVisibleAsync();
        Assert.Equal(401, (await leaver.APIRequest.GetAsync("/api/v1/auth/me")).Status);
        await leaver.Context.CloseAsync();

        var self = await fixture.LoginAsync("browser-self");
        await self.GetByTestId("user").ClickAsync();
        var form = self.GetByTestId("password-form");
        await form.Locator("input[name=current]").FillAsync(ConsoleHost.Password);
        await form.Locator("input[name=new]").FillAsync("browser-new-pw");
        await form.Locator("input[name=repeat]").FillAsync("browser-new-pw");
        await form.Locator("button[type=submit]").ClickAsync();
        await Expect(self.GetByTestId("password-message")).ToHaveTextAsync("密码已修改；其他会话已退出");
        Assert.NotNull(Host.Store.GetUser("browser-self"));
        Assert.Contains(Host.Store.ReadAudit(actor: "browser-self"), a => a.Action == "password-changed");
        await self.Context.CloseAsync();
    }

    [Fact]
    public async Task Logging_out_at_one_screen_ends_that_session_and_its_live_feed_while_the_same_operators_wall_on_another_screen_stays_live()
    {
        var users = (Security.UserDirectory)Host.App.Services.GetService(typeof(Security.UserDirectory))!;
        users.Create("browser-two-screens", ConsoleHost.Password, [Security.Roles.Operator]);
        var wall = await fixture.LoginAsync("browser-two-screens");
        var desk = await fixture.LoginAsync("browser-two-screens");
        await Expect(wall.Locator("#conn.up")).ToBeVisibleAsync();
        await Expect(desk.Locator("#conn.up")).ToBeVisibleAsync();
        // The desk's cookie, copied into another browser while the session is open.
        var elsewhere = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Host.BaseAddress.ToString() });
        await elsewhere.AddCookiesAsync((await desk.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        Assert.Equal(200, (await elsewhere.APIRequest.GetAsync("/api/v1/auth/me")).Status);

        // Logged out from another tab of the desk's browser: the desk's wall in the first tab had the same session.
        var tab = await desk.Context.NewPageAsync();
        await tab.GotoAsync("/contacts");
        await tab.Locator("#top button", new() { HasText = "退出" }).ClickAsync();
        await tab.WaitForURLAsync(url => url.Contains("/login"));

        await Expect(desk.Locator("#conn.down")).ToBeVisibleAsync();
        Assert.Equal(401, (await elsewhere.APIRequest.GetAsync("/api/v1/auth/me")).Status);
        // The other screen's wall kept its session and its feed: what happens next reaches it.
        await Expect(wall.Locator("#conn.up")).ToBeVisibleAsync();
        await Host.RaiseAsync(now => ConsoleHost.Overdue("浙K30077", now, bore: "south", lane: 2));
        await Expect(wall.Locator("li.alarm", new() { HasText = "浙K30077" })).ToBeVisibleAsync();
        Assert.Equal(200, (await wall.APIRequest.GetAsync("/api/v1/auth/me")).Status);
        await elsewhere.CloseAsync();
        await desk.Context.CloseAsync();
        await wall.Context.CloseAsync();
    }

    [Fact]
    public async Task Maintenance_sees_agent_quality_adds_a_bore_and_is_told_clearly_when_a_busy_bore_cannot_be_retired()
    {
        await Host.PublishAsync(null, portal: Portal.Exit, bore: "south", lane: 1, snapshot: ConsoleHost.Jpeg);
        await Host.PublishAsync("浙M70001", bore: "north", lane: 1);
        await Host.UntilAsync(s => s.Bores.Single(b => b.Bore.Bore == "north").Inside.FirstOrDefault(v => v.Plate == "浙M70001"));

        var page = await fixture.LoginAsync("maint");
        await Expect(page.Locator("[data-agent=maoliling-south-exit-1] [data-testid=unread]")).Not.ToHaveTextAsync("–");
        await Expect(page.Locator("[data-agent=maoliling-south-exit-1] [data-testid=unmatched]")).Not.ToHaveTextAsync("–");
        // No plate grant: no snapshot, since it shows the plate.
        Assert.Equal(0, await page.GetByTestId("agent-snapshot").CountAsync());

        var add = page.Locator("[data-site=maoliling] [data-testid=new-bore]");
        await add.Locator("input[name=id]").FillAsync("west");
        await add.Locator("input[name=lengthMeters]").FillAsync("1800");
        await add.Locator("input[name=speedLimitKmh]").FillAsync("60");
        await add.Locator("input[name=lanes]").FillAsync("1");
        await add.Locator("button[type=submit]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已生效");
        await Expect(page.Locator("[data-bore-setup='maoliling/west'] [data-testid=bore-agents]")).ToHaveTextAsync("maoliling-west-entry-1 maoliling-west-exit-1");
        Assert.NotNull(Host.Service.Sites.FindBore("maoliling", "west"));

        await page.Locator("[data-bore-setup='maoliling/north'] button[data-action=retire-bore]").ClickAsync();
        await page.GetByTestId("confirm").Locator("button[data-action=confirm]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToContainTextAsync("未生效");
        await Expect(page.GetByTestId("sites-message")).ToContainTextAsync("隧道 maoliling/north 内还有");
        Assert.NotNull(Host.Service.Sites.FindBore("maoliling", "north"));
        await fixture.ScreenshotAsync(page, "maintenance-sites");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_manager_reads_daily_volumes_transit_times_and_incidents_with_masked_plates_and_operators_verdicts()
    {
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙N80001" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙N80001", bore: "south", lane: 2, ago: TimeSpan.FromMinutes(20), cls: VehicleClass.Truck, hazmat: true);
        var alarm = await raised;
        await Host.Service.AcknowledgeAsync(alarm.AlarmId, "op", null);
        // And a van that drove through, for the transit times.
        await Host.PublishAsync("浙N80002", bore: "north", lane: 2, ago: TimeSpan.FromMinutes(3), cls: VehicleClass.Van);
        var exit = await Host.PublishAsync("浙N80002", Portal.Exit, bore: "north", lane: 2, cls: VehicleClass.Van);
        await Host.UntilAsync(_ => Host.Store.TransitsByPlate("浙N80002").FirstOrDefault(t => t.ExitEventId == exit.EventId));
        // And a van whose exit the matcher guessed: left out of the times, and counted as left out.
        Host.Store.UpsertTransits([new TransitRecord
        {
            EntryEventId = Guid.NewGuid(), Site = "maoliling", Bore = "north", Lane = 1, VehicleClass = VehicleClass.Van, EnteredAt = DateTimeOffset.UtcNow.AddMinutes(-9),
            ExitEventId = Guid.NewGuid(), ExitedAt = DateTimeOffset.UtcNow, TransitSeconds = 540, Status = "inferred",
        }]);

        // The operator, having found nothing on the cameras, calls it a false alarm from the wall.
        var wall = await fixture.LoginAsync("op");
        var card = wall.Locator($"li.alarm[data-alarm-id='{alarm.AlarmId}']");
        await card.Locator("button[data-action=verdict-false]").ClickAsync();
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync("研判：误报");
        await wall.Context.CloseAsync();

        var page = await fixture.LoginAsync("boss");
        await Expect(page.GetByTestId("daily").Locator("tr", new() { HasText = "南洞" }).First).ToBeVisibleAsync();
        // The period's totals per bore and portal come first: the north bore's entries, all classes together.
        var northEntries = page.GetByTestId("daily").GetByTestId("total").Filter(new() { HasText = "北洞" }).Filter(new() { HasText = "驶入" });
        await Expect(northEntries.Locator("td").Nth(0)).ToHaveTextAsync("合计");
        await Expect(northEntries.Locator("td").Nth(3)).ToHaveTextAsync("全部车型");
        using var api = await Host.LoginAsync("boss");
        var daily = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Api.DailyVolumes>(api, "/api/v1/reports/daily-volumes?days=7");
        var northTotal = daily!.Rows.Where(r => r.Bore == "north" && r.Portal == "entry").Sum(r => r.Passages);
        await Expect(northEntries.Locator("td").Nth(4)).ToHaveTextAsync(northTotal.ToString());
        await Expect(page.GetByTestId("daily-chart").Locator("canvas")).ToBeVisibleAsync();
        // Hazmat vehicles each once, whichever portal flagged them, and the page says so.
        await Expect(page.GetByTestId("hazmat-total")).ToHaveTextAsync($"危险品车辆 {daily.TotalHazmat} 辆（其中仅出口识别 {daily.HazmatOnlyAtExit} 辆）");
        Assert.True(daily.TotalHazmat >= 1);
        await Expect(page.GetByTestId("hazmat-note")).ToContainTextAsync("入口或出口任一相机识别为危险品即计一次");
        await Expect(page.GetByTestId("monthly").Locator("tr", new() { HasText = "南洞" }).First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("monthly-chart").Locator("canvas")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("transit-chart").Locator("canvas")).ToBeVisibleAsync();
        // What the times are made of, the guessed exit stored above among those left out, with the API's counts.
        var times = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Api.TransitTimes>(api, "/api/v1/reports/transit-times?days=7"))!;
        Assert.True(times.LeftOut.GuessedExit >= 1);
        await Expect(page.GetByTestId("transit-note")).ToHaveTextAsync($"入口与出口按车牌匹配上的行程 {times.Rows.Sum(r => r.Transits)} 个（同一或相近车牌）；" +
            $"未计入：推测的出口 {times.LeftOut.GuessedExit} 个（出口车牌未识别或无人匹配、推测为该车的），报过超时滞留 {times.LeftOut.Overdue} 个（见下方事件），" +
            $"未见驶出 {times.LeftOut.NeverSeenLeaving} 个");
        // The median of the north bore's vans: the fifth cell.
        await Expect(page.GetByTestId("transit-times").Locator("tr", new() { HasText = "北洞" }).Filter(new() { HasText = "面包车" }).First.Locator("td").Nth(4))
            .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^18[0-9] s$"));
        await Expect(page.Locator("#monthly-csv")).ToHaveAttributeAsync("href", "/api/v1/reports/monthly-volumes.csv?months=12&lang=zh");
        var incident = page.Locator($"[data-incident='{alarm.AlarmId}']");
        await Expect(incident.Locator(".plate")).ToHaveTextAsync("浙N8***1");
        await Expect(incident.GetByTestId("to-ack")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ s$"));
        await Expect(incident.GetByTestId("verdict")).ToHaveTextAsync("误报");
        await Expect(page.GetByTestId("false-summary")).ToContainTextAsync("误报");
        await Expect(page.GetByTestId("incident-chart").Locator("canvas")).ToBeVisibleAsync();
        await Expect(page.Locator("#incidents-csv")).ToHaveAttributeAsync("href", "/api/v1/reports/incidents.csv?days=7&lang=zh");
        await fixture.ScreenshotAsync(page, "reports-daily");

        // Another period, chosen above the reports: the address keeps it, the files follow it.
        await page.Locator("#period-days").SelectOptionAsync("14");
        await page.Locator("#period-to").FillAsync("2026-01-31");
        await page.Locator("#period-month").FillAsync("2025-12");
        await page.Locator("#period button[type=submit]").ClickAsync();
        await Expect(page.GetByTestId("period-range")).ToHaveTextAsync("日报 2026-01-18 至 2026-01-31；月报 2025-01 至 2025-12");
        await Expect(page.Locator("#daily-csv")).ToHaveAttributeAsync("href", "/api/v1/reports/daily-volumes.csv?days=14&to=2026-01-31&lang=zh");
        await Expect(page.Locator("#monthly-csv")).ToHaveAttributeAsync("href", "/api/v1/reports/monthly-volumes.csv?months=12&to=2025-12-01&lang=zh");
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
            """{"schema":"tunnel.passage.v1","agentId":"maoliling-north-entry-1","cameraId":"<script>window.pwned=4</script>","plate":{"text":"<script>window.pwned=5</script>"}}""");
        var maintenance = await fixture.LoginAsync("maint");
        Assert.EndsWith("/maintenance", maintenance.Url);
        var payload = maintenance.GetByTestId("payload").Filter(new() { HasText = "window.pwned=4" });
        await Expect(payload).ToBeVisibleAsync();
        // The plate itself is masked for maintenance without the grant, markup or not.
        await Expect(payload).Not.ToContainTextAsync("window.pwned=5");
        Assert.Null(await maintenance.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await fixture.ScreenshotAsync(maintenance, "maintenance");
        Assert.Empty(fixture.Dialogs);
        await maintenance.Context.CloseAsync();
    }

    [Fact]
    public async Task The_wall_tells_operators_which_alarm_tower_cannot_sound()
    {
        var page = await fixture.LoginAsync("op");
        await Expect(page.GetByTestId("towers-down")).ToHaveTextAsync("报警灯/警报器不可用：control-room（请通知运维）");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_alarm_tower_out_of_reach_is_shown_offline_with_why_and_its_test_is_refused_with_a_message()
    {
        var page = await fixture.LoginAsync("maint", lang: "?lang=en");
        var row = page.Locator("[data-tower='control-room']");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("offline");
        await Expect(row.Locator(".error")).ToContainTextAsync($"127.0.0.1:{BrowserFixture.DeadTowerPort}");
        await Expect(row.GetByTestId("lit")).ToHaveTextAsync("–");

        var answer = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/v1/alarm-towers/control-room/test?kind=lamps"));
        await row.Locator("[data-action='test-lamps']").ClickAsync();
        Assert.Equal(409, (await answer).Status);
        await Expect(page.GetByTestId("towers-message")).ToContainTextAsync("Test not run: alarm tower 'control-room' is out of reach");
        await fixture.ScreenshotAsync(page, "maintenance-towers");
        Assert.Empty(fixture.Dialogs);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/.//evil.example/x", "/maintenance")]   // resolves to the path //evil.example/x, which alone reads as another site
    [InlineData("https://evil.example/x", "/maintenance")]
    [InlineData("/maintenance?tab=agents", "/maintenance?tab=agents")]
    public async Task After_login_a_return_address_leads_only_to_a_page_of_the_console(string returnUrl, string expectedPathAndQuery)
    {
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = Host.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.FillAsync("#user", "maint");
        await page.FillAsync("#password", ConsoleHost.Password);
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync(url => !url.Contains("/login"));
        var landed = new Uri(page.Url);
        Assert.Equal(Host.BaseAddress.Authority, landed.Authority);
        Assert.Equal(new Uri(Host.BaseAddress, expectedPathAndQuery).PathAndQuery, landed.PathAndQuery);
        await context.CloseAsync();
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
        await Expect(manager.Locator("#csv")).ToHaveAttributeAsync("href", "/api/v1/reports/passages-per-hour.csv?lang=zh");
        await fixture.ScreenshotAsync(manager, "reports");
        await manager.GotoAsync("/maintenance");
        Assert.Contains("/denied", manager.Url);
        // The wall, read-only and with masked plates.
        await manager.GotoAsync("/");
        await Expect(manager.Locator("[data-bore=south] table.inside .plate", new() { HasText = "浙C1***1" })).ToBeVisibleAsync();
        // Recent passages too, and without snapshots: a picture would show the plate.
        await Expect(manager.Locator("[data-bore=south] .passage-card .plate", new() { HasText = "浙C1***1" })).ToBeVisibleAsync();
        Assert.Equal(0, await manager.Locator("img.thumb").CountAsync());
        Assert.Equal(0, await manager.Locator("button[data-action=ack]").CountAsync());
        await manager.Context.CloseAsync();
    }
}
