using Microsoft.Playwright;
using Tunnel.Core.Contracts;
using static Microsoft.Playwright.Assertions;
using static Tunnel.WebConsole.Tests.WallPage;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The wall on the screens a control room has, with a bore full of vehicles: readable at 1366×768 in either language, and
/// the recent passages in view however many vehicles are inside. A host of its own: its hundred vehicles stay inside.
/// </summary>
public sealed class WallLayoutBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;
    private const int Vehicles = 100;

    /// <summary>A hundred vehicles inside the north bore, a van among every few, and an alarm on the one that entered last.</summary>
    private async Task<Guid> FillTheBoreAsync()
    {
        var passages = new List<Passage>();
        for (var i = 0; i < Vehicles; i++)
            passages.Add(await Host.PublishAsync($"浙B{10000 + i}", lane: 1 + i % 2, ago: TimeSpan.FromSeconds(Vehicles - i),
                cls: i % 3 == 0 ? VehicleClass.Van : i % 3 == 1 ? VehicleClass.Motorcycle : VehicleClass.Truck));
        // And a few in the south bore, the right-hand one on the wall: a table too wide for it would push the page sideways.
        for (var i = 0; i < 5; i++)
            await Host.PublishAsync($"浙C{10000 + i}", lane: 1, ago: TimeSpan.FromSeconds(10 - i), cls: i % 2 == 0 ? VehicleClass.Motorcycle : VehicleClass.Van, bore: "south");
        await Host.UntilAsync(s => s.Bores.First(b => b.Bore.Bore == "north").Inside.Count == Vehicles
            && s.Bores.First(b => b.Bore.Bore == "south").Inside.Count == 5 ? s : null);
        // The vehicle that entered last is the shortest inside: its alarm must keep it in view all the same.
        var last = passages[^1];
        return await Host.Service.Post((engine, now) =>
        {
            var alarm = engine.Alarms.Raise(ConsoleHost.Overdue(last.Plate!.Text, now) with { EntryEventId = last.EventId });
            engine.Bores[new BoreKey(ConsoleHost.Site, "north")].Matcher.AllOpen.First(t => t.EntryEventId == last.EventId).AlarmId = alarm.Id;
            return alarm.Id;
        });
    }

    private static readonly SemaphoreSlim Filling = new(1, 1);
    private static Task<Guid>? _filled;

    /// <summary>The bore filled once for the class's tests; the alarmed vehicle's alarm id.</summary>
    private async Task<Guid> FilledAsync()
    {
        await Filling.WaitAsync();
        try { return await (_filled ??= FillTheBoreAsync()); }
        finally { Filling.Release(); }
    }

    private static ILocator Bore(IPage page, string bore) => page.Locator($"article.bore[data-bore={bore}]");

    [Fact]
    public async Task With_a_hundred_vehicles_inside_the_wall_lists_the_fifteen_longest_and_every_alarmed_one_and_the_recent_passages_stay_in_view()
    {
        var alarm = await FilledAsync();
        var page = await fixture.LoginAsync("op");
        await page.SetViewportSizeAsync(1920, 1080);
        var north = Bore(page, "north");
        var rows = north.Locator("table.inside tbody tr");
        await Expect(rows).ToHaveCountAsync(16);
        // The longest inside first; the alarmed one, the last to enter, listed all the same.
        await Expect(rows.First.Locator(".plate")).ToHaveTextAsync("浙B10000");
        await Expect(north.Locator("tr.has-alarm .plate")).ToHaveTextAsync("浙B10099");
        await Expect(north.Locator("tr.has-alarm")).ToBeInViewportAsync();
        await Expect(page.Locator($"li.alarm[data-alarm-id='{alarm}']")).ToBeVisibleAsync();
        var more = north.GetByTestId("inside-more");
        await Expect(more).ToHaveTextAsync("另有 84 辆（显示全部）");

        // The recent passages, whole, without scrolling.
        var strip = north.GetByTestId("recent-passages");
        await Expect(strip.Locator("li.passage-card").First).ToBeVisibleAsync();
        var box = await strip.BoundingBoxAsync();
        Assert.True(box!.Y + box.Height <= 1080, $"the recent passages end {box.Y + box.Height} px down, below the screen's 1080");
        await Expect(Bore(page, "south").GetByTestId("inside-more")).ToBeHiddenAsync();

        // The button is kept through the live updates, so the keyboard focus on it stays.
        await more.FocusAsync();
        await NextSnapshotAsync(page);
        Assert.True(await more.EvaluateAsync<bool>("b => document.activeElement === b"), "the focus left the button at a snapshot");
        await page.Keyboard.PressAsync("Enter");
        await Expect(rows).ToHaveCountAsync(Vehicles);
        await Expect(more).ToHaveTextAsync("只显示洞内最久的 15 辆");
        await Expect(more).ToHaveAttributeAsync("aria-expanded", "true");
        await NextSnapshotAsync(page);
        await Expect(rows).ToHaveCountAsync(Vehicles);
        await more.ClickAsync();
        await Expect(rows).ToHaveCountAsync(16);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("zh")]
    [InlineData("en")]
    public async Task At_1366_by_768_classes_and_plates_stay_on_one_line_and_the_page_never_scrolls_sideways(string lang)
    {
        await FilledAsync();
        var page = await fixture.LoginAsync("op");
        await page.SetViewportSizeAsync(1366, 768);
        await page.GotoAsync("/?lang=" + lang);
        await Expect(Bore(page, "north").Locator("table.inside tbody tr.has-alarm")).ToBeVisibleAsync();
        await Expect(Bore(page, "south").Locator("table.inside tbody tr")).ToHaveCountAsync(5);
        var wrapped = await page.EvaluateAsync<string[]>("""
            () => {
              // Lines a cell's text takes: a range's client rects, one per line.
              const lines = node => { const range = document.createRange(); range.selectNodeContents(node); return range.getClientRects().length; };
              return [...document.querySelectorAll('table.inside tbody td:nth-child(2), table.inside tbody .plate')]
                .filter(node => lines(node) > 1).map(node => node.textContent);
            }
            """);
        Assert.Empty(wrapped);
        var width = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(width[0] <= width[1], $"the page is {width[0]} px wide in a {width[1]} px window");
        await fixture.ScreenshotAsync(page, "wall-1366-" + lang);
        await page.Context.CloseAsync();
    }

}
