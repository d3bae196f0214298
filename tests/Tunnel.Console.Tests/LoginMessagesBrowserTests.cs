using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;
using static Microsoft.Playwright.Assertions;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// The login page's refusals in the page's language: a lock-out's end as a time in the console's time zone, not a UTC
/// timestamp, and too many attempts in words of its own, not the server's English. A host of its own: it locks a user out.
/// </summary>
public sealed class LoginMessagesBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    private async Task<IPage> LoginPageAsync(string lang = "")
    {
        var page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = Host.BaseAddress.ToString(), Locale = "zh-CN" });
        await page.GotoAsync("/login" + lang);
        return page;
    }

    private static async Task TryAsync(IPage page, string user, string password)
    {
        await page.FillAsync("#user", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#submit");
    }

    [Fact]
    public async Task A_locked_out_user_is_told_until_when_in_the_consoles_time_zone()
    {
        Host.App.Services.GetRequiredService<UserDirectory>().Create("browser-locked", ConsoleHost.Password, [Roles.Operator]);
        var page = await LoginPageAsync();
        var message = page.GetByTestId("login-message");
        for (var i = 0; i < 4; i++)
        {
            await TryAsync(page, "browser-locked", "wrong-password-" + i);
            await Expect(message).ToHaveTextAsync("用户名或密码错误");
            await page.EvalOnSelectorAsync("[data-testid=login-message]", "m => { m.textContent = ''; }");
        }
        await TryAsync(page, "browser-locked", "wrong-password");
        await Expect(message).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^登录失败次数过多，账号已锁定至 "));

        using var admin = await Host.LoginAsync("admin", ConsoleHost.AdminPassword);
        var until = (await admin.GetFromJsonAsync<List<UserSummary>>("/api/v1/users"))!.Single(u => u.UserName == "browser-locked").LockedUntil!.Value;
        var shown = await page.EvaluateAsync<string>("""
            at => new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
              hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(at))
            """, until.ToString("O"));
        await Expect(message).ToHaveTextAsync("登录失败次数过多，账号已锁定至 " + shown);
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("", "此地址登录尝试过于频繁，请一分钟后再试")]
    [InlineData("?lang=en", "Too many login attempts from this address; wait a minute")]
    public async Task Too_many_attempts_from_one_address_are_said_in_the_pages_language(string lang, string expected)
    {
        var page = await LoginPageAsync(lang);
        // The limit is 30 a minute in service; the tests' console allows 1000, so the answer is the one its limiter gives.
        await page.RouteAsync("**/api/v1/auth/login", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 429, ContentType = "application/json",
            Body = """{"error":"too-many-attempts","message":"too many login attempts from this address; wait a minute"}""",
        }));
        await TryAsync(page, "op", ConsoleHost.Password);
        await Expect(page.GetByTestId("login-message")).ToHaveTextAsync(expected);
        await page.CloseAsync();
    }
}
