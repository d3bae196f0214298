using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>The cameras of each bore on /maintenance: retired, replaced and refused, names shown as text.</summary>
public sealed class CameraBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task Maintenance_retires_a_camera_adds_its_replacement_with_an_untrusted_name_and_is_told_why_the_old_one_cannot_return()
    {
        var page = await fixture.LoginAsync("maint");
        if (!page.Url.EndsWith("/maintenance", StringComparison.Ordinal)) await page.GotoAsync("/maintenance");
        var cameras = page.Locator("[data-bore-cameras='maoliling/south']");
        await Expect(cameras.Locator("tr[data-camera]")).ToHaveCountAsync(4);

        await cameras.Locator("[data-camera=cam-south-exit-2] button[data-action=retire-camera]").ClickAsync();
        await page.GetByTestId("confirm").Locator("button[data-action=confirm]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已生效");
        await Expect(cameras.Locator("[data-camera=cam-south-exit-2]")).ToContainTextAsync("已停用");
        await Expect(page.Locator("[data-bore-setup='maoliling/south'] [data-testid=bore-agents]"))
            .ToHaveTextAsync("maoliling-south-entry-1 maoliling-south-entry-2 maoliling-south-exit-1");

        const string Name = "<img src=x onerror=alert(1)>南洞出口2车道";
        var add = cameras.GetByTestId("new-camera");
        await add.Locator("select[name=at]").SelectOptionAsync("exit:2");
        await add.Locator("input[name=id]").FillAsync("cam-south-exit-2b");
        await add.Locator("input[name=name]").FillAsync(Name);
        await add.Locator("button[type=submit]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("已生效");
        await Expect(cameras.Locator("[data-camera=cam-south-exit-2b] input[name=name]")).ToHaveValueAsync(Name);
        Assert.Equal(Name, Host.Service.Sites.FindBore("maoliling", "south")!.Cameras!.Single(c => c.Id == "cam-south-exit-2b").Name);
        // Every portal lane has an active camera again: nothing left to add.
        await Expect(cameras.GetByTestId("new-camera")).ToHaveCountAsync(0);

        await cameras.Locator("[data-camera=cam-south-exit-2] button[data-action=activate-camera]").ClickAsync();
        await Expect(page.GetByTestId("sites-message")).ToHaveTextAsync("未生效：驶出 2 车道已有在用相机：请先停用它");
        Assert.Equal(0, await page.Locator("#sites img").CountAsync());
        Assert.Empty(fixture.Dialogs);
        await fixture.ScreenshotAsync(page, "maintenance-cameras");
        await page.Context.CloseAsync();
    }
}
