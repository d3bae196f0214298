using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// What a user review of /reports found: charts in dark grey on the dark panel, and a page left silently empty when a report
/// did not load (a day that does not exist in the address, a refused request, no answer).
/// </summary>
public sealed class ReportsReviewBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly string[] Charts = ["chart", "daily-chart", "monthly-chart", "transit-chart", "incident-chart"];

    [Fact]
    public async Task Every_chart_writes_its_legend_and_axes_in_the_pages_colours_with_the_legend_clear_of_the_plot()
    {
        var page = await fixture.LoginAsync("boss");
        await page.SetViewportSizeAsync(1366, 768);
        await page.GotoAsync("/reports");
        await Expect(page.GetByTestId("incident-summary")).Not.ToBeEmptyAsync();
        var colours = await page.EvaluateAsync<JsonElement>(
            "() => { const s = getComputedStyle(document.documentElement); return { text: s.getPropertyValue('--text').trim(), muted: s.getPropertyValue('--muted').trim() }; }");
        var (text, muted) = (colours.GetProperty("text").GetString(), colours.GetProperty("muted").GetString());
        Assert.False(string.IsNullOrEmpty(text));
        foreach (var id in Charts)
        {
            var option = await page.EvaluateAsync<JsonElement>(
                "id => { const o = echarts.getInstanceByDom(document.getElementById(id)).getOption(); " +
                "return { legend: o.legend[0].textStyle.color, text: o.textStyle?.color, x: o.xAxis[0].axisLabel.color, y: o.yAxis[0].axisLabel.color, " +
                "name: o.yAxis[0].nameTextStyle.color, legendType: o.legend[0].type, gridTop: o.grid[0].top }; }", id);
            Assert.Equal(text, option.GetProperty("legend").GetString());
            Assert.Equal(text, option.GetProperty("text").GetString());
            Assert.Equal(muted, option.GetProperty("x").GetString());
            Assert.Equal(muted, option.GetProperty("y").GetString());
            Assert.Equal(muted, option.GetProperty("name").GetString());
            // One scrolling line of legend, and the plot (with the axis name above it) starts well below it.
            Assert.Equal("scroll", option.GetProperty("legendType").GetString());
            Assert.True(option.GetProperty("gridTop").GetDouble() >= 60, $"{id}: grid.top {option.GetProperty("gridTop")}");
        }
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("?to=2026-02-30", "地址中的截至日期 to=2026-02-30 不是有效日期")]
    [InlineData("?month=2026-13", "地址中的月报截至 month=2026-13 不是有效月份")]
    public async Task A_day_or_month_in_the_address_that_does_not_exist_is_named_on_the_page(string query, string message)
    {
        var page = await fixture.LoginAsync("boss");
        await page.GotoAsync("/reports" + query);
        await Expect(page.GetByTestId("report-failure")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("report-failure-text")).ToContainTextAsync(message);
        await Expect(page.GetByTestId("report-reset")).ToHaveAttributeAsync("href", "/reports");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_refused_report_shows_the_servers_message_and_a_retry_brings_the_reports()
    {
        var page = await fixture.LoginAsync("boss");
        await page.GotoAsync("/reports?lang=en");
        var refuse = true;
        await page.RouteAsync("**/api/v1/reports/transit-times?*", async route =>
        {
            if (refuse)
                await route.FulfillAsync(new() { Status = 400, ContentType = "application/json", Body = """{"error":"invalid","message":"days is a whole number"}""" });
            else await route.ContinueAsync();
        });
        await page.ReloadAsync();
        await Expect(page.GetByTestId("report-failure-text"))
            .ToHaveTextAsync("Transit time (median, 95th percentile) could not be loaded: days is a whole number");

        refuse = false;
        await page.GetByTestId("report-retry").ClickAsync();
        await Expect(page.GetByTestId("report-failure")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("transit-note")).Not.ToBeEmptyAsync();
        await Expect(page.GetByTestId("daily").Locator("table, p")).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_report_the_server_never_answered_says_so_in_the_readers_language()
    {
        var page = await fixture.LoginAsync("boss");
        await page.RouteAsync("**/api/v1/reports/incidents?*", route => route.AbortAsync("connectionrefused"));
        await page.GotoAsync("/reports");
        await Expect(page.GetByTestId("report-failure-text")).ToHaveTextAsync("超时滞留事件、确认用时与误报未能加载：服务器无响应");
        await Expect(page.GetByTestId("report-retry")).ToHaveTextAsync("重试");
        await page.Context.CloseAsync();
    }
}
