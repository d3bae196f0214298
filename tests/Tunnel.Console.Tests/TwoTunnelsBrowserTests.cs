using Tunnel.Core.Contracts;
using Tunnel.Storage;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>A host of its own: it gets a second tunnel, whose passages and bores the other browser tests must not see.</summary>
public sealed class TwoTunnelsBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task Two_tunnels_each_with_a_north_bore_are_reported_apart_and_named_by_tunnel()
    {
        // Stored as the central service of a deployment with two tunnels would store them: two entries into 猫狸岭's north
        // bore, one into the north bore of a second tunnel.
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        Host.Store.AddPassages([(Entry("maoliling", "浙S10001", 1, now), now), (Entry("maoliling", "浙S10002", 2, now), now), (Entry("xiaoshan", "浙S20001", 1, now), now)]);

        var page = await fixture.LoginAsync("boss");
        var totals = page.GetByTestId("daily").GetByTestId("total").Filter(new() { HasText = "驶入" });
        // One total per tunnel's north bore, not one of three for "北洞".
        await Expect(totals.Filter(new() { HasText = "xiaoshan · 北洞" }).Locator("td").Nth(4)).ToHaveTextAsync("1");
        await Expect(totals.Filter(new() { HasText = "maoliling · 北洞" }).Locator("td").Nth(4)).ToHaveTextAsync("2");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wall_watching_two_tunnels_names_each_bore_with_its_tunnel()
    {
        var second = SitesFile.Maoliling.Sites[0] with { Id = "xiaoshan", Name = "萧山隧道" };
        Assert.Empty(await Host.Service.ReconfigureAsync(SitesFile.Maoliling with { Sites = [.. SitesFile.Maoliling.Sites, second] }));
        var page = await fixture.LoginAsync("op");
        await Expect(page.Locator("article.bore h2", new() { HasText = "xiaoshan · 北洞" })).ToHaveCountAsync(1);
        await Expect(page.Locator("article.bore h2", new() { HasText = "maoliling · 北洞" })).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }

    private static Passage Entry(string site, string plate, long seq, DateTimeOffset at) => new()
    {
        EventId = Guid.NewGuid(), AgentId = $"{site}-north-entry-1", Seq = seq, Site = site, Bore = "north", Portal = Portal.Entry, Lane = 1,
        CameraId = $"cam-{site}-north-entry-1", CapturedAt = at,
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.95 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };
}
