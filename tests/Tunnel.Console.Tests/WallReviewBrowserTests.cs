using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;
using static Tunnel.WebConsole.Tests.WallPage;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// What a user review of the operator wall found: its language changing under the operator, a verdict lost behind a later
/// note, the history in raw codes and without priorities, and a failed action's message in the browser's English, kept after
/// the server was back. A host of its own: its alarms stay open, and one test stalls the service's loop.
/// </summary>
public sealed class WallReviewBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    /// <summary>The header's language switch, by what it says (the language it switches to).</summary>
    private static ILocator LanguageToggle(IPage page, string says) => page.Locator("#top button.link", new() { HasText = says });

    /// <summary>Until the store holds <paramref name="count"/> transitions of the alarm (the history is read from it).</summary>
    private async Task StoredAsync(Guid alarm, int count)
    {
        var deadline = DateTimeOffset.UtcNow + ConsoleHost.WaitLimit;
        while (Host.Store.AlarmHistory(alarm).Count < count)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"the store never held {count} transitions of alarm {alarm}");
            // The store is written behind the loop: a loop turn per look.
            await Host.Service.Post((_, _) => 0);
        }
    }

    [Fact]
    public async Task The_wall_keeps_its_language_when_another_tab_switches_and_switches_its_own_without_a_reload_keeping_the_sound_on()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙L10001", now));
        var wall = await fixture.LoginAsync("op");
        var card = wall.Locator($"li.alarm[data-alarm-id='{id}']");
        await Expect(card.GetByTestId("alarm-state")).ToHaveTextAsync("未确认");
        await wall.GetByTestId("sound-enable").ClickAsync();
        await Expect(wall.GetByTestId("sound-mute")).ToBeVisibleAsync();

        // The contacts page, opened from the wall in a tab beside it, is switched to English.
        var contacts = await wall.Context.RunAndWaitForPageAsync(() => wall.Locator("nav a[href='/contacts']").ClickAsync());
        await LanguageToggle(contacts, "English").ClickAsync();
        await Expect(contacts.Locator("#top nav a[href='/contacts']")).ToHaveTextAsync("Contacts");

        // The wall, redrawn by the snapshots since, is still all in Chinese, its switch included.
        await NextSnapshotAsync(wall);
        await NextSnapshotAsync(wall);
        await Expect(card.GetByTestId("alarm-state")).ToHaveTextAsync("未确认");
        await Expect(card.Locator("button[data-action=ack]")).ToHaveTextAsync("确认");
        await Expect(wall.Locator("article.bore[data-bore=north] h2")).ToHaveTextAsync("北洞");
        await Expect(LanguageToggle(wall, "English")).ToBeVisibleAsync();
        await contacts.CloseAsync();

        // Switched on the wall itself: everything in English at once, the same page (no reload), the sound still on.
        await wall.EvaluateAsync("() => { window.sameWall = true; }");
        await LanguageToggle(wall, "English").ClickAsync();
        await Expect(card.GetByTestId("alarm-state")).ToHaveTextAsync("unacknowledged");
        await Expect(card.Locator("button[data-action=ack]")).ToHaveTextAsync("Acknowledge");
        await Expect(wall.Locator("article.bore[data-bore=north] h2")).ToHaveTextAsync("North bore");
        await Expect(wall.Locator("#closed summary")).ToHaveTextAsync("Closed in the last 12 hours");
        await Expect(wall.Locator("#conn")).ToHaveTextAsync("live");
        await Expect(LanguageToggle(wall, "中文")).ToBeVisibleAsync();
        Assert.Equal("en", await wall.EvaluateAsync<string>("() => document.documentElement.lang"));
        Assert.True(await wall.EvaluateAsync<bool>("() => window.sameWall === true"), "the wall reloaded to switch its language");
        await Expect(wall.GetByTestId("sound-mute")).ToHaveTextAsync("Mute this browser (does not acknowledge)");
        await Expect(wall.GetByTestId("sound-off")).ToHaveCountAsync(0);
        // Still English at the next snapshot, and remembered for the next load.
        await NextSnapshotAsync(wall);
        await Expect(card.GetByTestId("alarm-state")).ToHaveTextAsync("unacknowledged");
        await wall.ReloadAsync();
        await Expect(card.GetByTestId("alarm-state")).ToHaveTextAsync("unacknowledged");
        await wall.Context.CloseAsync();
    }

    [Fact]
    public async Task A_verdict_stays_on_the_card_through_a_later_note_and_its_button_says_it_is_the_one_set()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙L20001", now));
        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        var confirmed = card.Locator("button[data-action=verdict-confirmed]");
        var falseAlarm = card.Locator("button[data-action=verdict-false]");
        await confirmed.ClickAsync();
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync("研判：属实");

        // A colleague's note after it: the note is the latest, the verdict still stands on the card.
        await Host.Service.AddNoteAsync(id, "op-2", "已通知路政");
        foreach (var step in new[] { "push", "snapshot", "reload" })
        {
            if (step == "snapshot") await NextSnapshotAsync(page);
            if (step == "reload") await page.ReloadAsync();
            await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync("已通知路政");
            await Expect(card.GetByTestId("alarm-verdict")).ToHaveTextAsync("研判：属实");
            await Expect(card.Locator(".alarm-note-line:has([data-testid=alarm-verdict]) .note-by")).ToContainTextAsync("op");
            await Expect(confirmed).ToHaveAttributeAsync("aria-pressed", "true");
            await Expect(falseAlarm).ToHaveAttributeAsync("aria-pressed", "false");
        }

        // The last verdict stands.
        await falseAlarm.ClickAsync();
        await Expect(falseAlarm).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(confirmed).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(card.GetByTestId("alarm-note")).ToHaveTextAsync("研判：误报");

        // An alarm not judged yet: neither button pressed.
        var unjudged = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙L20002", now));
        var other = page.Locator($"li.alarm[data-alarm-id='{unjudged}']");
        await Expect(other.Locator("button[data-action=verdict-confirmed]")).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(other.Locator("button[data-action=verdict-false]")).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(other.GetByTestId("alarm-verdict")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_alarm_history_words_calls_and_verdicts_in_the_readers_language_and_shows_each_lines_priority()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙L30001", now));
        using var api = await Host.LoginAsync("op");
        Assert.Equal(System.Net.HttpStatusCode.NoContent,
            (await api.PostAsJsonAsync($"/api/v1/alarms/{id}/contact-attempts", new { outcome = "not-in-directory" })).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await api.PostAsJsonAsync($"/api/v1/alarms/{id}/verdict", new { verdict = "false" })).StatusCode);
        await Host.Service.Post((engine, now) =>
        {
            engine.Alarms.Escalate(id, AlarmPriority.Critical, now, AlarmReason.Escalated(TimeSpan.FromMinutes(15)));
            return 0;
        });
        await StoredAsync(id, 4);

        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        await card.Locator("button[data-action=history]").ClickAsync();
        var history = card.Locator("ol.history");
        await Expect(history.Locator("li")).ToHaveCountAsync(4);
        await Expect(history).ToContainTextAsync("联系驾驶员：通讯录无记录");
        await Expect(history).ToContainTextAsync("研判：误报");
        await Expect(history).Not.ToContainTextAsync("contact-driver");
        await Expect(history).Not.ToContainTextAsync("verdict false");
        // Raised high; the escalation's line says critical.
        await Expect(history.Locator("li").First.GetByTestId("history-priority")).ToHaveTextAsync("高");
        await Expect(history.Locator("li").Last.GetByTestId("history-priority")).ToHaveTextAsync("紧急");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_action_the_server_never_answered_says_so_in_the_readers_language_and_the_message_goes_when_the_wall_is_live_again()
    {
        var id = await Host.RaiseAsync(now => ConsoleHost.Overdue("浙L40001", now));
        var page = await fixture.LoginAsync("op");
        var card = page.Locator($"li.alarm[data-alarm-id='{id}']");
        await Expect(card).ToBeVisibleAsync();

        // The service stalls (no snapshot comes), and the acknowledgement gets no answer at all.
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gate = new ManualResetEventSlim();
        // Held until the test lets it go; the limit only ends a test that failed on the way (under the whole suite's load
        // the steps below can take longer than the usual wait limit).
        var stall = Host.Service.Post((_, _) => { stalled.SetResult(); return gate.Wait(TimeSpan.FromMinutes(2)); });
        await stalled.Task;
        // Until the wall shows the last picture the service took: no snapshot can come after it while the loop stands.
        await page.WaitForFunctionAsync("at => Date.parse(document.body.dataset.snapshotAt ?? '') >= Date.parse(at)", Host.Service.Snapshot.At.ToString("O"));
        await page.RouteAsync("**/api/v1/alarms/*/acknowledge", route => route.AbortAsync("connectionrefused"));
        var message = card.GetByTestId("alarm-message");
        try
        {
            await card.Locator("button[data-action=ack]").ClickAsync();
            await Expect(message).ToHaveTextAsync("操作失败：服务器无响应", new() { Timeout = 20_000 });
            await Expect(message).ToBeVisibleAsync();
        }
        finally
        {
            await page.UnrouteAllAsync();
            gate.Set();
        }
        Assert.True(await stall, "the loop was stalled until the test let it go");

        // The server answers again: the next snapshot takes the message away, and the acknowledgement goes through.
        await Expect(message).ToBeHiddenAsync(new() { Timeout = 20_000 });
        await card.Locator("button[data-action=ack]").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-state", "active-acknowledged", new() { Timeout = 20_000 });
        await Expect(message).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }
}
