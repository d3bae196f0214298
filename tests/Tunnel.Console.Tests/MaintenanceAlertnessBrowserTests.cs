using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// /maintenance for someone on a ladder at the portal: a page that can no longer refresh says so and marks what it shows as old,
/// problem cameras are flagged with a reason in words, and retiring a camera, bore or site is confirmed first.
/// </summary>
public sealed class MaintenanceAlertnessBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;
    private const string Api = "**/api/v1/**";
    // The page refreshes every 5 s, then every 2 s while failing, and gives a hung request 8 s: waits are for what it shows.
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 20_000 };
    private static readonly LocatorAssertionsToBeHiddenOptions Hidden = new() { Timeout = 20_000 };
    private static readonly LocatorAssertionsToHaveTextOptions Text = new() { Timeout = 20_000 };
    private static readonly LocatorAssertionsToContainTextOptions Contains = new() { Timeout = 20_000 };

    private Task AgentReportsAsync(string agentId, Portal portal, int lane) =>
        Host.PublishRawAsync(Topics.AgentStatus(ConsoleHost.Site, agentId), TunnelJson.Serialize(new AgentStatus
        {
            AgentId = agentId, Online = true, Site = ConsoleHost.Site, Bore = "north", Portal = portal, Lane = lane, Fps = 25,
            QueueDepth = 0, ClockOffsetMs = 0, At = DateTimeOffset.UtcNow,
        }));

    [Fact]
    public async Task When_refreshes_fail_or_hang_the_page_says_so_marks_the_states_old_and_recovers_by_itself()
    {
        const string Agent = "maoliling-north-entry-1";
        await AgentReportsAsync(Agent, Portal.Entry, 1);
        await Host.UntilAsync(s => s.Agents.FirstOrDefault(a => a.AgentId == Agent && a.Online));
        var page = await fixture.LoginAsync("maint");
        Assert.EndsWith("/maintenance", page.Url);
        var status = page.Locator($"[data-agent={Agent}] .badge");
        var banner = page.GetByTestId("refresh-failed");
        await Expect(status).ToHaveTextAsync("在线");
        await Expect(banner).ToBeHiddenAsync();

        // The service stops: every request is refused.
        await page.RouteAsync(Api, route => route.AbortAsync("connectionrefused"));
        await Expect(banner).ToBeVisibleAsync(Visible);
        await Expect(banner).ToContainTextAsync("刷新失败", Contains);
        await Expect(banner).ToContainTextAsync("连不上服务器", Contains);
        await Expect(banner).ToContainTextAsync("旧数据", Contains);
        await Expect(status).ToHaveTextAsync("旧数据：在线", Text);
        await Expect(page.Locator("#agents")).ToHaveClassAsync(new Regex(@"\boutdated\b"));
        await fixture.ScreenshotAsync(page, "maintenance-refresh-failed");

        // Back: the page comes back by itself, and says when its data is from.
        await page.UnrouteAsync(Api);
        await Expect(banner).ToBeHiddenAsync(Hidden);
        await Expect(status).ToHaveTextAsync("在线", Text);
        await Expect(page.GetByTestId("refreshed")).ToHaveTextAsync(new Regex(@"^数据更新于 .*\d{2}:\d{2}:\d{2}（\d+ 秒前）"), Text);

        // A server that takes the requests and never answers is no better than one that is down.
        var held = new List<IRoute>();
        await page.RouteAsync("**/api/v1/agents", route => { lock (held) held.Add(route); return Task.CompletedTask; });
        await Expect(banner).ToContainTextAsync("服务器 8 秒未应答", Contains);
        await Expect(status).ToHaveTextAsync("旧数据：在线", Text);
        await page.UnrouteAsync("**/api/v1/agents");
        await Expect(banner).ToBeHiddenAsync(Hidden);
        await Expect(status).ToHaveTextAsync("在线", Text);
        Assert.Empty(fixture.Dialogs);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Slow_misreading_quiet_and_late_cameras_are_flagged_with_a_reason_in_words()
    {
        static object Agent(string id, int lane, string portal, double fps = 25, long passages = 40, double unread = 0.02, double unmatched = 0.01,
            double age = 4, string? error = null) => new
        {
            agentId = id, site = "maoliling", bore = "north", portal, lane, online = true, stale = false, reported = true,
            lastHeartbeat = DateTimeOffset.UtcNow.AddSeconds(-age), heartbeatAgeSeconds = age, fps, queueDepth = 0, clockOffsetMs = 0,
            lastError = error, passagesLastHour = passages, unreadShare = unread, unmatchedExitShare = unmatched, rejectedLastHour = 0,
        };
        var agents = System.Text.Json.JsonSerializer.Serialize(new[]
        {
            Agent("good-1", 1, "entry", error: "<img src=x onerror=window.pwned=1>"),
            Agent("slow-1", 2, "entry", fps: 6),
            Agent("unread-1", 1, "exit", unread: 0.32),
            Agent("quiet-1", 2, "exit", passages: 0, unread: 0, unmatched: 0),
            Agent("late-1", 3, "exit", age: 45),
            // Two of four unread is too few passages to judge.
            Agent("few-1", 4, "exit", passages: 4, unread: 0.5),
        });
        var page = await fixture.LoginAsync("maint");
        await page.RouteAsync("**/api/v1/agents", route => route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = agents }));
        await page.ReloadAsync();

        Task Flag(string agent, string code, string text) =>
            Expect(page.Locator($"[data-agent={agent}] [data-flag={code}]")).ToHaveTextAsync(text);
        await Flag("slow-1", "fps", "帧率低：6.0 帧/秒（低于 12）");
        await Flag("unread-1", "unread", "车牌未识别多：32.0 %（高于 15.0 %）");
        await Flag("quiet-1", "quiet", "1 小时无通行（同隧道其他相机有 40 辆）");
        await Flag("late-1", "heartbeat", "心跳已 45 秒未到（应每 10 秒一次）");
        foreach (var id in new[] { "slow-1", "unread-1", "quiet-1", "late-1" })
            await Expect(page.Locator($"[data-agent={id}]")).ToHaveClassAsync(new Regex(@"\bagent-flagged\b"));
        foreach (var id in new[] { "good-1", "few-1" })
        {
            await Expect(page.Locator($"[data-agent={id}] .flag")).ToHaveCountAsync(0);
            await Expect(page.Locator($"[data-agent={id}]")).Not.ToHaveClassAsync(new Regex(@"\bagent-flagged\b"));
        }
        await Expect(page.GetByTestId("agents-summary")).ToHaveTextAsync("4 台设备需检查（见“需检查”一栏）");
        // The flagged ones are listed before the one that works.
        var order = await page.Locator("#agents tr[data-agent]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.agent)");
        Assert.True(Array.IndexOf(order, "slow-1") < Array.IndexOf(order, "good-1"), string.Join(" ", order));
        await Expect(page.Locator("[data-agent=good-1] .error")).ToHaveTextAsync("<img src=x onerror=window.pwned=1>");
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
        await fixture.ScreenshotAsync(page, "maintenance-flags");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Retiring_a_camera_bore_or_site_asks_first_naming_the_lanes_left_unwatched_and_the_page_warns_of_blind_lanes()
    {
        var page = await fixture.LoginAsync("maint");
        var confirm = page.GetByTestId("confirm");
        var blind = page.GetByTestId("blind-lanes");
        var camera = page.Locator("[data-bore-cameras='maoliling/north'] [data-camera=cam-north-exit-2]");
        await Expect(camera).ToContainTextAsync("在用");
        await Expect(blind).ToBeHiddenAsync();

        // Cancelled: nothing retired.
        await camera.Locator("button[data-action=retire-camera]").ClickAsync();
        await Expect(confirm).ToBeVisibleAsync();
        await Expect(page.GetByTestId("confirm-what")).ToHaveTextAsync("停用相机 cam-north-exit-2（猫狸岭隧道 北洞 驶出 2 车道）？");
        await Expect(page.GetByTestId("confirm-blind")).ToContainTextAsync("猫狸岭隧道 北洞 驶出 2 车道 将不再受监测");
        await confirm.Locator("button[data-action=cancel]").ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已取消，未停用");
        await Expect(camera).ToContainTextAsync("在用");
        Assert.DoesNotContain(Host.Service.Sites.FindBore("maoliling", "north")!.EffectiveCameras(), c => c.Id == "cam-north-exit-2" && c.Retired);

        // Confirmed: retired, and the page says which lane is now blind.
        await camera.Locator("button[data-action=retire-camera]").ClickAsync();
        await confirm.Locator("button[data-action=confirm]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已生效");
        await Expect(camera).ToContainTextAsync("已停用");
        await Expect(blind).ToBeVisibleAsync();
        await Expect(blind.Locator("[data-blind='maoliling/north/exit/2']")).ToHaveTextAsync("猫狸岭隧道 北洞 驶出 2 车道");
        await fixture.ScreenshotAsync(page, "maintenance-blind-lane");

        // Back in service: no blind lane left.
        await camera.Locator("button[data-action=activate-camera]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已生效");
        await Expect(blind).ToBeHiddenAsync();

        // A bore and a site: asked too, and Escape cancels.
        await page.Locator("[data-bore-setup='maoliling/north'] button[data-action=retire-bore]").ClickAsync();
        await Expect(page.GetByTestId("confirm-what")).ToHaveTextAsync("停用隧道 北洞（站点 猫狸岭隧道）？");
        await Expect(page.GetByTestId("confirm-blind")).ToHaveTextAsync("停用后这条隧道的 2 个车道（4 台在用相机）将不再受监测。");
        await page.Keyboard.PressAsync("Escape");
        await Expect(confirm).ToBeHiddenAsync();
        await page.Locator("[data-site=maoliling] button[data-action=retire-site]").ClickAsync();
        await Expect(page.GetByTestId("confirm-what")).ToHaveTextAsync("停用站点 猫狸岭隧道？");
        await Expect(page.GetByTestId("confirm-blind")).ToHaveTextAsync("停用后其全部隧道（北洞、南洞）的所有车道将不再受监测。");
        await confirm.Locator("button[data-action=cancel]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已取消，未停用");
        Assert.NotNull(Host.Service.Sites.FindBore("maoliling", "north"));
        Assert.Empty(fixture.Dialogs);
        await page.Context.CloseAsync();
    }
}
