using System.Net;
using System.Net.Http.Json;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Tests;

public sealed class UserApiTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;
    private UserDirectory Users => (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;

    private Task<HttpClient> AdminAsync() => Host.LoginAsync(UserDirectory.FirstAdmin, ConsoleHost.AdminPassword);

    [Fact]
    public async Task Without_a_proxy_configured_an_X_Forwarded_For_header_is_not_the_clients_address()
    {
        Users.Create("spoofer-target", ConsoleHost.Password, [Roles.Operator]);
        var answers = new List<HttpStatusCode>();
        for (var i = 1; i <= 5; i++)
        {
            using var client = Host.CreateClient();
            // Each guess poses as another address; believed, none would reach the lock-out of one address.
            client.DefaultRequestHeaders.Add("X-Forwarded-For", $"10.0.0.{i}");
            await ConsoleHost.UseAntiforgeryAsync(client);
            answers.Add((await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("spoofer-target", "wrong-password"))).StatusCode);
        }
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), (HttpStatusCode)423], answers);
        Assert.NotNull(Host.Store.GetFailedLoginsFrom("spoofer-target", "local")?.LockedUntil);
        Assert.Null(Host.Store.GetFailedLoginsFrom("spoofer-target", "10.0.0.1"));
    }

    [Fact]
    public async Task Admins_read_the_audit_log_newest_first_by_actor_and_reading_it_is_audited()
    {
        Users.Create("audited-op", ConsoleHost.Password, [Roles.Operator]);
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync("audited-op", ConsoleHost.Password));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync("audited-op", "wrong-password"));
        using var admin = await AdminAsync();

        var audit = (await admin.GetFromJsonAsync<AuditView>("/api/v1/audit?actor=audited-op&days=1"))!;
        Assert.Equal(["login-failed", "login"], audit.Entries.Select(e => e.Action));
        Assert.All(audit.Entries, e => Assert.Equal(("audited-op", "user:audited-op"), (e.Actor, e.Subject)));
        Assert.False(audit.Truncated);
        Assert.True((await admin.GetFromJsonAsync<AuditView>("/api/v1/audit?actor=audited-op&limit=1"))!.Truncated);
        Assert.Contains(Host.Store.ReadAudit(actor: UserDirectory.FirstAdmin), a => a.Action == "view-audit" && a.Subject == "audit");

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/audit?days=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/audit?limit=100000")).StatusCode);
        using var op = await Host.LoginAsync("audited-op", ConsoleHost.Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task Every_read_of_the_audit_log_is_audited_with_what_it_asked_for()
    {
        Users.Create("audit-reader", ConsoleHost.Password, [Roles.Admin]);
        using var admin = await Host.LoginAsync("audit-reader");
        (await admin.GetAsync("/api/v1/audit?actor=op&days=1")).EnsureSuccessStatusCode();
        // Moments later, someone else's trail: a read the log must not lose, whatever was read before it.
        (await admin.GetAsync("/api/v1/audit?subject=user:boss&days=30")).EnsureSuccessStatusCode();

        var reads = Host.Store.ReadAudit(actor: "audit-reader").Where(a => a.Action == "view-audit").Select(a => a.Detail).ToList();
        Assert.Equal(["30 days, subject user:boss", "1 days, actor op"], reads);
    }

    private async Task<HttpStatusCode> LoginStatusAsync(string user, string password)
    {
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        return (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(user, password))).StatusCode;
    }

    [Fact]
    public async Task A_user_changes_their_own_password_and_their_other_sessions_end()
    {
        Users.Create("self", ConsoleHost.Password, [Roles.Maintenance]);
        using var here = await Host.LoginAsync("self");
        using var elsewhere = await Host.LoginAsync("self");

        Assert.Equal(HttpStatusCode.BadRequest, (await here.PostAsJsonAsync("/api/v1/auth/password", new ChangePasswordRequest("wrong-password", "new-password-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await here.PostAsJsonAsync("/api/v1/auth/password", new ChangePasswordRequest(ConsoleHost.Password, "short"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await here.PostAsJsonAsync("/api/v1/auth/password", new ChangePasswordRequest(ConsoleHost.Password, "new-password-1"))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync("self", ConsoleHost.Password));
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync("self", "new-password-1"));
        Assert.Contains(Host.Store.ReadAudit(actor: "self", subject: "user:self"), a => a.Action == "password-changed");
    }

    [Fact]
    public async Task Guessing_the_current_password_on_a_console_left_logged_in_counts_as_failed_logins_and_locks_the_user()
    {
        Users.Create("guessed", ConsoleHost.Password, [Roles.Operator]);
        using var left = await Host.LoginAsync("guessed");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await left.PostAsJsonAsync("/api/v1/auth/password", new ChangePasswordRequest($"guess-number-{i}", "new-password-1"))).StatusCode);
        // Locked: the right current password no longer changes it, and a new login is refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await left.PostAsJsonAsync("/api/v1/auth/password", new ChangePasswordRequest(ConsoleHost.Password, "new-password-1"))).StatusCode);
        Assert.Equal((HttpStatusCode)423, await LoginStatusAsync("guessed", ConsoleHost.Password));
        var audit = Host.Store.ReadAudit(actor: "guessed", subject: "user:guessed");
        Assert.Equal(5, audit.Count(a => a.Action == "password-change-failed"));
        Assert.Contains(audit, a => a.Action == "locked-out");
    }

    [Fact]
    public async Task The_admin_resets_a_password_which_lifts_the_lock_and_ends_the_sessions()
    {
        Users.Create("forgot", ConsoleHost.Password, [Roles.Operator]);
        using var session = await Host.LoginAsync("forgot");
        using var admin = await AdminAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/users/forgot/password", new ResetPasswordRequest("short"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/v1/users/nobody/password", new ResetPasswordRequest("long-enough-pw"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync("/api/v1/users/forgot/password", new ResetPasswordRequest("reset-password-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync("forgot", "reset-password-1"));
        Assert.Contains(Host.Store.ReadAudit(actor: "admin", subject: "user:forgot"), a => a.Action == "password-reset");
    }

    [Fact]
    public async Task The_admin_unlocks_a_locked_out_user()
    {
        Users.Create("locked", ConsoleHost.Password, [Roles.Operator]);
        for (var i = 0; i < 5; i++) await LoginStatusAsync("locked", "wrong-password");
        Assert.Equal((HttpStatusCode)423, await LoginStatusAsync("locked", ConsoleHost.Password));
        using var admin = await AdminAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync("/api/v1/users/locked/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync("locked", ConsoleHost.Password));
        Assert.Contains(Host.Store.ReadAudit(actor: "admin", subject: "user:locked"), a => a.Action == "user-unlocked");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/v1/users/nobody/unlock", null)).StatusCode);
    }

    [Fact]
    public async Task A_retired_user_is_signed_out_at_once_and_cannot_log_in_and_the_admin_cannot_retire_themself()
    {
        Users.Create("leaver", ConsoleHost.Password, [Roles.Operator]);
        using var session = await Host.LoginAsync("leaver");
        using var admin = await AdminAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync("/api/v1/users/leaver/retire", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/v1/snapshot")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync("leaver", ConsoleHost.Password));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/v1/users/leaver/retire", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/v1/users/admin/retire", null)).StatusCode);
        Assert.True((await admin.GetFromJsonAsync<List<UserSummary>>("/api/v1/users"))!.Single(u => u.UserName == "leaver").Disabled);
        Assert.Contains(Host.Store.ReadAudit(actor: "admin", subject: "user:leaver"), a => a.Action == "user-retired");
    }

    [Theory]
    [InlineData("/api/v1/users/op/unlock")]
    [InlineData("/api/v1/users/op/retire")]
    [InlineData("/api/v1/users/op/password")]
    public async Task Only_the_admin_manages_other_users(string path)
    {
        using var op = await Host.LoginAsync("boss");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync(path, new ResetPasswordRequest("long-enough-pw"))).StatusCode);
    }
}
