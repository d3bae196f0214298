using System.Net;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

/// <summary>Logging out ends the session on the server, not only in the browser that logs out.</summary>
public sealed class LogoutTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    private UserDirectory Users => (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;

    [Fact]
    public async Task A_copy_of_a_logged_out_sessions_cookie_is_refused_after_a_restart_too_while_the_same_users_other_session_goes_on()
    {
        Users.Create("two-screens", ConsoleHost.Password, [Roles.Operator]);
        using var desk = await Host.LoginAsync("two-screens");
        using var wall = await Host.LoginAsync("two-screens");
        // Copied from the desk's browser (a shared machine, a profile copied) while the session was open.
        var copied = Host.CookieHeader(desk);
        using (var copy = Host.CreateClient(copied)) Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/api/v1/auth/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await desk.PostAsync("/api/v1/auth/logout", null)).StatusCode);

        using (var copy = Host.CreateClient(copied))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await copy.GetAsync("/api/v1/auth/me")).StatusCode);
            // Nor does it open the live feed.
            Assert.Equal(HttpStatusCode.Unauthorized, (await copy.PostAsync("/hub/live/negotiate?negotiateVersion=1", null)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await wall.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Contains(Host.Store.ReadAudit(actor: "two-screens"), a => a.Action == "logout");

        var wallCookies = Host.CookieHeader(wall);
        await Host.RestartConsoleAsync();

        using (var copy = Host.CreateClient(copied)) Assert.Equal(HttpStatusCode.Unauthorized, (await copy.GetAsync("/api/v1/auth/me")).StatusCode);
        using var wallAfter = Host.CreateClient(wallCookies);
        Assert.Equal(HttpStatusCode.OK, (await wallAfter.GetAsync("/api/v1/auth/me")).StatusCode);
    }
}
