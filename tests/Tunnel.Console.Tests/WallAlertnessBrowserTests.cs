using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;
using static Tunnel.WebConsole.Tests.WallPage;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// What keeps a 3 a.m. wall trustworthy: it says when its data stopped, an action's trouble never stops the
/// page, a click is never lost to the live updates, announcements never talk over each other, and a mute cannot
/// silence what comes after it. A host of its own: one test stalls the service's loop.
/// </summary>
public sealed class WallAlertnessBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    private Task<Guid> RaiseAsync(string plate, AlarmPriority priority = AlarmPriority.High, PlateColor? colour = null) =>
        Host.RaiseAsync(now => ConsoleHost.Overdue(plate, now) with { Priority = priority, PlateColor = colour });

    [Fact]
    public async Task When_snapshots_stop_the_wall_says_since_when_across_the_page_and_greys_its_alarms_until_they_resume()
    {
        var page = await fixture.LoginAsync("op");
        await Expect(page.Locator("#conn.up")).ToBeVisibleAsync();
        var banner = page.GetByTestId("stale-banner");
        var alarms = page.GetByTestId("alarms");
        await Expect(banner).ToBeHiddenAsync();
        await Expect(alarms).Not.ToHaveClassAsync(new Regex(@"\bstale\b"));

        // The service's loop stalls: the link stays up, and no snapshot comes.
        using var gate = new ManualResetEventSlim();
        var stall = Host.Service.Post((_, _) => gate.Wait(ConsoleHost.WaitLimit));
        try
        {
            await Expect(banner).ToBeVisibleAsync(new() { Timeout = 15000 });
            await Expect(banner).ToHaveTextAsync(new Regex(@"^数据已停止更新，自 \d\d:\d\d:\d\d"));
            await Expect(alarms).ToHaveClassAsync(new Regex(@"\bstale\b"));
            await fixture.ScreenshotAsync(page, "wall-stale");
        }
        finally
        {
            gate.Set();
        }
        Assert.True(await stall, "the loop was stalled until the test let it go");

        await Expect(banner).ToBeHiddenAsync();
        await Expect(alarms).Not.ToHaveClassAsync(new Regex(@"\bstale\b"));
        await page.Context.CloseAsync();

        // Pings every few seconds, so a wall gives up on a silent link (after 10 s, wall.js) well before SignalR's default 30 s.
        var hub = Host.App.Services.GetRequiredService<IOptions<HubOptions>>().Value;
        Assert.InRange(hub.KeepAliveInterval!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        // And the server drops a wall gone silent (walls ping every 3 s) before it holds up the pushes to the others for long.
        Assert.InRange(hub.ClientTimeoutInterval!.Value, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task From_the_wall_the_other_pages_open_beside_it_so_its_alarms_keep_sounding()
    {
        var page = await fixture.LoginAsync("op");
        var contacts = page.Locator("nav a[href='/contacts']");
        await Expect(contacts).ToHaveAttributeAsync("target", "_blank");
        var opened = await page.Context.RunAndWaitForPageAsync(() => contacts.ClickAsync());
        await Expect(opened.Locator("h1")).ToBeVisibleAsync();
        Assert.Equal("/", new Uri(page.Url).AbsolutePath);
        // Elsewhere the navigation stays in its tab.
        await Expect(opened.Locator("nav a[href='/contacts']")).Not.ToHaveAttributeAsync("target", "_blank");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Acknowledging_an_alarm_someone_else_just_acknowledged_says_so_calmly_on_the_card_without_a_dialog()
    {
        var id = await RaiseAsync("浙K20001");
        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        var ack = card.Locator("button[data-action=ack]");
        await Expect(ack).ToBeEnabledAsync();

        // The acknowledgement is held on its way, while another console acknowledges first.
        var held = new TaskCompletionSource<IRoute>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync($"**/api/v1/alarms/{id}/acknowledge", route => { held.TrySetResult(route); return Task.CompletedTask; });
        await ack.ClickAsync();
        var route = await held.Task.WaitAsync(ConsoleHost.WaitLimit);
        // In flight, the button is off, through the snapshots that redraw the card meanwhile.
        await Expect(ack).ToBeDisabledAsync();
        await Host.Service.AcknowledgeAsync(id, "op-2", null);
        await route.ContinueAsync();

        var message = card.GetByTestId("alarm-message");
        await Expect(message).ToHaveTextAsync("此报警已由他人确认（或已关闭），无需再次确认");
        await Expect(message).ToHaveClassAsync(new Regex(@"\bcalm\b"));
        await Expect(card).ToHaveAttributeAsync("data-state", "active-acknowledged");
        Assert.Empty(fixture.Dialogs);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_mute_counts_down_from_five_minutes_and_an_alarm_raised_after_it_sounds_anyway()
    {
        var first = await RaiseAsync("浙K30001");
        var page = await fixture.LoginAsync("op");
        // Counts the tones the page plays: each beep is one oscillator.
        await page.Context.AddInitScriptAsync("""
            window.tones = 0;
            const create = AudioContext.prototype.createOscillator;
            AudioContext.prototype.createOscillator = function () { window.tones++; return create.call(this); };
            """);
        await page.ReloadAsync();
        await Expect(page.Locator($"li.alarm[data-alarm-id='{first}']")).ToBeVisibleAsync();
        await page.GetByTestId("sound-enable").ClickAsync();
        await page.WaitForFunctionAsync("() => window.tones > 0");

        await page.GetByTestId("sound-mute").ClickAsync();
        var countdown = page.GetByTestId("mute-countdown");
        await Expect(countdown).ToHaveTextAsync(new Regex(@"^本浏览器已静音，[45]:\d\d 后恢复"));
        await Expect(countdown).ToHaveClassAsync(new Regex(@"\bwarn\b"));
        var beforeSecond = await page.EvaluateAsync<int>("() => window.tones");

        var second = await RaiseAsync("浙K30002");
        await Expect(page.Locator($"li.alarm[data-alarm-id='{second}']")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync($"() => window.tones > {beforeSecond}");

        // The decision itself: the muted alarm is quiet until the mute ends, and a critical one never is.
        var decisions = await page.EvaluateAsync<bool[]>("""
            async () => {
              const { sounds } = await import('/js/sound.js');
              const now = Date.now(), mute = { until: now + 60000, ids: ['a'] };
              return [sounds({ alarmId: 'a', priority: 'high' }, mute, now), sounds({ alarmId: 'a', priority: 'high' }, mute, mute.until),
                sounds({ alarmId: 'b', priority: 'low' }, mute, now), sounds({ alarmId: 'a', priority: 'critical' }, mute, now)];
            }
            """);
        Assert.Equal(new[] { false, true, true, true }, decisions);
        foreach (var id in new[] { first, second }) await Host.Service.AcknowledgeAsync(id, "op", null);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_click_held_across_snapshots_still_acknowledges_and_the_button_keeps_the_keyboard_focus()
    {
        var id = await RaiseAsync("浙K50001");
        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        var ack = card.Locator("button[data-action=ack]");
        await Expect(ack).ToBeEnabledAsync();
        await NextSnapshotAsync(page);

        // Reached from the keyboard: a snapshot must not throw the focus back to the page.
        await ack.FocusAsync();
        await NextSnapshotAsync(page);
        Assert.True(await ack.EvaluateAsync<bool>("b => b === document.activeElement"), "the focus stayed on Acknowledge");

        // A slow click: the button goes down, a snapshot redraws the wall, the button comes up.
        var acknowledged = page.WaitForRequestAsync($"**/api/v1/alarms/{id}/acknowledge");
        var box = (await ack.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await NextSnapshotAsync(page);
        await page.Mouse.UpAsync();
        await acknowledged.WaitAsync(ConsoleHost.WaitLimit);
        await Expect(card).ToHaveAttributeAsync("data-state", "active-acknowledged");

        // The same for the button that lets the page sound.
        var enable = page.GetByTestId("sound-enable");
        box = (await enable.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await NextSnapshotAsync(page);
        await page.Mouse.UpAsync();
        await Expect(page.GetByTestId("sound-mute")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Alarms_raised_together_are_announced_one_after_the_other_each_once_and_one_acknowledged_meanwhile_not_at_all()
    {
        var page = await fixture.LoginAsync("op");
        // Notes when each announcement starts sounding and ends, as the page's own audio elements tell, and counts the tones.
        await page.Context.AddInitScriptAsync("""
            window.voices = [];
            const play = HTMLMediaElement.prototype.play;
            HTMLMediaElement.prototype.play = function () {
              const id = this.src.split('/').at(-2);
              // Once per element: 'playing' comes again after a stall (a loaded machine), and that is not a second announcement.
              this.addEventListener('playing', () => window.voices.push('start ' + id), { once: true });
              this.addEventListener('ended', () => window.voices.push('end ' + id));
              this.addEventListener('error', () => window.voices.push('error ' + id));
              return play.call(this);
            };
            window.tones = 0;
            const create = AudioContext.prototype.createOscillator;
            AudioContext.prototype.createOscillator = function () { window.tones++; return create.call(this); };
            """);
        await page.ReloadAsync();
        await Expect(page.Locator("#conn.up")).ToBeVisibleAsync();
        // Three vehicles stopped at once; their priorities set the order they are announced in.
        var ids = await Host.Service.Post((engine, now) =>
            new[] { ("浙K60001", AlarmPriority.High), ("浙K60002", AlarmPriority.Medium), ("浙K60003", AlarmPriority.Low) }.Select(x =>
            {
                var id = Guid.NewGuid();
                engine.Alarms.Raise(new AlarmTransition
                {
                    AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = x.Item2,
                    Site = ConsoleHost.Site, Bore = "south", Plate = x.Item1, At = now, EnteredAt = now.AddMinutes(-10), Lane = 2,
                });
                return id.ToString();
            }).ToArray());
        await Expect(page.Locator("li.alarm[data-state=active-unacknowledged]")).ToHaveCountAsync(3);
        await page.GetByTestId("sound-enable").ClickAsync();

        // While the first is being said, the third is acknowledged: it waits no more, so it is not said.
        var ours = "ids => window.voices.filter(v => ids.includes(v.split(' ')[1]))";
        await page.WaitForFunctionAsync($"ids => ({ours})(ids).length > 0", ids);
        await Host.Service.AcknowledgeAsync(Guid.Parse(ids[2]), "op", null);
        await page.WaitForFunctionAsync($"ids => ({ours})(ids).filter(v => !v.startsWith('start ')).length >= 2", ids,
            new() { Timeout = 30000 });
        // The wall sounds again (a tone every few seconds while they wait), and announces none again.
        var tones = await page.EvaluateAsync<int>("() => window.tones");
        await page.WaitForFunctionAsync($"() => window.tones > {tones}");
        Assert.Equal(new[] { $"start {ids[0]}", $"end {ids[0]}", $"start {ids[1]}", $"end {ids[1]}" }, await page.EvaluateAsync<string[]>(ours, ids));
        foreach (var id in ids[..2]) await Host.Service.AcknowledgeAsync(Guid.Parse(id), "op", null);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_shelved_alarm_says_until_when_why_and_by_whom_and_keeps_its_plate_colour_after_a_reload()
    {
        // Raised without a vehicle on the wall: the plate's colour can come only with the alarm itself.
        var id = await RaiseAsync("浙K40001", colour: PlateColor.Yellow);
        var until = DateTimeOffset.UtcNow.AddMinutes(30);
        await Host.Service.ShelveAsync(id, "op", "camera being cleaned", until);
        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        await Expect(card).ToHaveAttributeAsync("data-state", "shelved");
        var time = await page.EvaluateAsync<string>("""
            at => new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(at))
            """, until.ToString("O"));
        var shelved = $"搁置至 {time}（camera being cleaned，op）";
        await Expect(card.GetByTestId("alarm-shelved")).ToHaveTextAsync(shelved);
        await Expect(card.Locator(".plate")).ToHaveClassAsync(new Regex("plate-yellow"));
        // Snapshots keep coming: none may put the raising reason back, and a reload loses nothing.
        await page.ReloadAsync();
        await Expect(card.GetByTestId("alarm-shelved")).ToHaveTextAsync(shelved);
        await Expect(card.Locator(".plate")).ToHaveClassAsync(new Regex("plate-yellow"));
        await page.Context.CloseAsync();
    }
}
