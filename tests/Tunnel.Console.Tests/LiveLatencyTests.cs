using System.Diagnostics;
using Tunnel.Core.Contracts;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The issue's "an alarm raised by the central service reaches every open console within one
/// second", measured: two operator pages open, alarms raised on the service loop, and each page's
/// own clock notes when the alarm's element enters its DOM. The figure is printed, not asserted:
/// a shared 2-core machine makes any timed assertion flaky.
/// </summary>
public sealed class LiveLatencyTests(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const int Rounds = 10;

    private const string Watch = """
        plate => new Promise(resolve => {
          const seen = () => [...document.querySelectorAll('li.alarm .plate')].some(p => p.textContent === plate);
          if (seen()) return resolve(Date.now());
          new MutationObserver((_, o) => { if (seen()) { o.disconnect(); resolve(Date.now()); } })
            .observe(document.getElementById('alarms'), { childList: true, subtree: true, characterData: true });
        })
        """;

    [Fact]
    public async Task An_alarm_reaches_two_open_consoles_and_the_delay_is_reported()
    {
        var host = fixture.Host;
        var pages = new[] { await fixture.LoginAsync("op"), await fixture.LoginAsync("op") };
        foreach (var page in pages) await Expect(page.Locator("#conn.up")).ToBeVisibleAsync();
        var delays = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            var plate = $"浙L{60000 + i}";
            // The observers are in place before the raise, so each page stamps the moment it sees the alarm.
            var seen = pages.Select(p => p.EvaluateAsync<double>(Watch, plate)).ToList();
            await Task.WhenAll(pages.Select(p => p.WaitForFunctionAsync("() => true")));
            long raisedAt = 0;
            await host.Service.Post((engine, now) =>
            {
                raisedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                engine.Alarms.Raise(new AlarmTransition
                {
                    AlarmId = Guid.NewGuid(), Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
                    Site = "maoliling", Bore = "north", Plate = plate, At = now, EnteredAt = now.AddMinutes(-9), Lane = 1,
                });
                return 0;
            });
            foreach (var at in await Task.WhenAll(seen)) delays.Add(at - raisedAt);
        }
        delays.Sort();
        var line = $"alarm raised -> shown in the DOM of 2 open consoles, {delays.Count} observations: " +
                   $"median {delays[delays.Count / 2]:0} ms, p95 {delays[(int)Math.Ceiling(delays.Count * 0.95) - 1]:0} ms, max {delays[^1]:0} ms " +
                   $"(target: within 1,000 ms)";
        output.WriteLine(line);
        Console.WriteLine(line);
        Assert.Equal(Rounds * pages.Length, delays.Count);
        Assert.All(delays, d => Assert.True(d >= 0, "a page saw the alarm before it was raised: the clocks disagree"));
        foreach (var page in pages) await page.Context.CloseAsync();
    }
}
