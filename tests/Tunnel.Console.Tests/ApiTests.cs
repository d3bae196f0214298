using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Tunnel.Core.Contracts;
using Tunnel.Storage;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Views;

namespace Tunnel.WebConsole.Tests;

public sealed class ApiTests(ProxiedTestServerFixture fixture) : IClassFixture<ProxiedTestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    [Fact]
    public async Task The_configured_admin_logs_in_and_me_tells_roles_time_zone_and_speech()
    {
        using var client = await Host.LoginAsync(UserDirectory.FirstAdmin, ConsoleHost.AdminPassword);
        var me = await client.GetFromJsonAsync<Me>("/api/v1/auth/me");
        Assert.Equal(["admin"], me!.Roles);
        Assert.True(me.CanSeePlates);
        Assert.Equal("Asia/Shanghai", me.TimeZone);
        Assert.Contains(Host.Store.ReadAudit(actor: "admin"), a => a.Action == "login");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        Assert.Contains(Host.Store.ReadAudit(actor: "admin"), a => a.Action == "logout");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/auth/me")).StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_and_five_lock_the_user_out_for_fifteen_minutes()
    {
        var users = Host.App.Services.GetService(typeof(UserDirectory)) as UserDirectory;
        users!.Create("lockme", ConsoleHost.Password, [Roles.Operator]);
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("lockme", "wrong-password"))).StatusCode);
        Assert.Equal((HttpStatusCode)423, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("lockme", "wrong-password"))).StatusCode);
        // Locked: even the right password is refused, without being checked.
        Assert.Equal((HttpStatusCode)423, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("lockme", ConsoleHost.Password))).StatusCode);
        // Locked from this client's address (the test server's connections have none).
        var stored = Host.Store.GetFailedLoginsFrom("lockme", "local")!;
        Assert.InRange(stored.LockedUntil!.Value - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Contains(Host.Store.ReadAudit(actor: "lockme"), a => a.Action == "locked-out" && a.Detail!.StartsWith("from local until "));
        // An unknown user is told the same as a wrong password.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("nobody", "whatever-password"))).StatusCode);
    }

    private async Task<HttpClient> ClientFromAsync(string address)
    {
        var client = Host.CreateClient();
        // As the proxy on this machine tells the console (the test server's connections have no address of their own).
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        await ConsoleHost.UseAntiforgeryAsync(client);
        return client;
    }

    [Fact]
    public async Task Failing_on_purpose_from_one_address_locks_only_that_address_out_and_the_operator_still_signs_in_at_the_workstation()
    {
        var users = (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;
        users.Create("night-op", ConsoleHost.Password, [Roles.Operator]);
        using var elsewhere = await ClientFromAsync("10.9.9.9");
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            answers.Add((await elsewhere.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("night-op", "wrong-password"))).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), (HttpStatusCode)423, (HttpStatusCode)423], answers);
        Assert.Equal((HttpStatusCode)423, (await elsewhere.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("night-op", ConsoleHost.Password))).StatusCode);

        using var workstation = await ClientFromAsync("10.1.1.20");
        Assert.Equal(HttpStatusCode.OK, (await workstation.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("night-op", ConsoleHost.Password))).StatusCode);

        // The audit says where each failure and the lock-out came from, and where the operator signed in.
        var audit = Host.Store.ReadAudit(actor: "night-op", subject: "user:night-op");
        Assert.Equal(5, audit.Count(a => a.Action == "login-failed" && a.Detail == "from 10.9.9.9"));
        Assert.Single(audit, a => a.Action == "locked-out" && a.Detail!.StartsWith("from 10.9.9.9 until "));
        Assert.Single(audit, a => a.Action == "login" && a.Detail == "from 10.1.1.20");
        // The admin sees the address locked out, and the user not locked anywhere else.
        using var admin = await Host.LoginAsync(UserDirectory.FirstAdmin, ConsoleHost.AdminPassword);
        var summary = (await admin.GetFromJsonAsync<List<UserSummary>>("/api/v1/users"))!.Single(u => u.UserName == "night-op");
        Assert.Equal(["10.9.9.9"], summary.LockedFrom);
        Assert.NotNull(summary.LockedUntil);
    }

    [Fact]
    public void Guesses_spread_over_many_addresses_lock_the_name_out_everywhere_at_the_higher_limit_real_name_or_not()
    {
        var options = (Microsoft.Extensions.Options.IOptions<ConsoleOptions>)Host.App.Services.GetService(typeof(Microsoft.Extensions.Options.IOptions<ConsoleOptions>))!;
        var configured = options.Value.MaxFailedLoginsAllAddresses;
        options.Value.MaxFailedLoginsAllAddresses = 12;
        try
        {
            var users = (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;
            users.Create("spread", ConsoleHost.Password, [Roles.Operator]);
            foreach (var name in new[] { "spread", "no-such-spread" })
            {
                // Four wrong passwords from each of three addresses: none of them reaches its own limit of five.
                var outcomes = Enumerable.Range(1, 3).SelectMany(a => Enumerable.Range(0, 4).Select(_ => users.SignIn(name, "wrong-password", $"10.2.0.{a}").Outcome)).ToList();
                Assert.Equal([.. Enumerable.Repeat(SignInOutcome.Failed, 11), SignInOutcome.LockedOut], outcomes);
                Assert.Equal(SignInOutcome.LockedOut, users.SignIn(name, ConsoleHost.Password, "10.2.0.99").Outcome);
            }
            Assert.Single(Host.Store.ReadAudit(actor: "spread"), a => a.Action == "locked-out" && a.Detail!.StartsWith("from every address until "));
        }
        finally
        {
            options.Value.MaxFailedLoginsAllAddresses = configured;
        }
    }

    [Fact]
    public async Task A_look_at_the_wall_with_plates_is_audited_once_per_user_every_ten_minutes_and_a_masked_one_not_at_all()
    {
        var users = (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;
        users.Create("wall-watcher", ConsoleHost.Password, [Roles.Operator]);
        users.Create("wall-manager", ConsoleHost.Password, [Roles.Manager]);
        using var operatorClient = await Host.LoginAsync("wall-watcher");
        using var managerClient = await Host.LoginAsync("wall-manager");
        foreach (var client in new[] { operatorClient, managerClient })
        {
            (await client.GetAsync("/api/v1/snapshot")).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/alarms")).EnsureSuccessStatusCode();
            (await client.GetAsync("/api/v1/snapshot")).EnsureSuccessStatusCode();
        }
        Assert.Single(Host.Store.ReadAudit(actor: "wall-watcher"), a => a.Action == "view-wall" && a.Subject == "wall");
        Assert.DoesNotContain(Host.Store.ReadAudit(actor: "wall-manager"), a => a.Action == "view-wall");
    }

    [Fact]
    public void Guesses_sent_together_get_no_more_tries_than_guesses_sent_one_after_another()
    {
        var users = (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;
        users.Create("together", ConsoleHost.Password, [Roles.Operator]);
        const int guesses = 16;
        using var start = new Barrier(guesses);
        var outcomes = new SignInOutcome[guesses];
        var threads = Enumerable.Range(0, guesses).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            outcomes[i] = users.SignIn("together", "wrong-password-" + i, "10.0.0.7").Outcome;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(4, outcomes.Count(o => o == SignInOutcome.Failed));
        Assert.Equal(guesses - 4, outcomes.Count(o => o == SignInOutcome.LockedOut));
        Assert.Equal(5, Host.Store.ReadAudit(actor: "together").Count(a => a.Action == "login-failed"));
    }

    [Fact]
    public void Current_passwords_guessed_together_on_a_console_left_logged_in_get_no_more_tries_than_one_after_another()
    {
        var users = (UserDirectory)Host.App.Services.GetService(typeof(UserDirectory))!;
        users.Create("changing", ConsoleHost.Password, [Roles.Operator]);
        const int guesses = 16;
        using var start = new Barrier(guesses);
        var refusals = new string[guesses];
        var threads = Enumerable.Range(0, guesses).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            refusals[i] = Assert.Throws<ArgumentException>(() => users.ChangePassword("changing", "wrong-password-" + i, "new-password-1", "10.0.0.8")).Message;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(5, refusals.Count(r => r.StartsWith("the current password is wrong", StringComparison.Ordinal)));
        Assert.Equal(5, Host.Store.ReadAudit(actor: "changing").Count(a => a.Action == "password-change-failed"));
    }

    [Fact]
    public async Task A_name_that_is_no_user_is_locked_out_after_five_tries_like_a_user_so_a_lock_out_does_not_tell_that_a_name_exists()
    {
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            answers.Add((await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("no-such-user", "wrong-password"))).StatusCode);

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), (HttpStatusCode)423, (HttpStatusCode)423], answers);
        var locked = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("No-Such-User", "wrong-password"));
        Assert.Equal((HttpStatusCode)423, locked.StatusCode);
        Assert.Contains("locked until", await locked.Content.ReadAsStringAsync());
        // Another unknown name is counted on its own.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("no-such-user-2", "wrong-password"))).StatusCode);
    }

    [Fact]
    public async Task Names_longer_than_any_user_can_have_are_counted_under_their_start_so_guesses_cannot_fill_memory()
    {
        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        var start = new string('x', 70);
        var answers = new List<HttpStatusCode>();
        // Five names that differ only past the 65th character are one name to the lock-out.
        for (var i = 0; i < 5; i++)
            answers.Add((await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(start + i + new string('y', 5_000), "wrong-password"))).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), (HttpStatusCode)423], answers);
    }

    [Fact]
    public async Task The_live_hub_answers_a_page_of_its_own_origin_and_refuses_one_of_another()
    {
        using var client = await Host.LoginAsync("op");
        async Task<HttpStatusCode> Negotiate(string? origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hub/live/negotiate?negotiateVersion=1");
            if (origin is not null) request.Headers.Add("Origin", origin);
            return (await client.SendAsync(request)).StatusCode;
        }
        var own = Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal(HttpStatusCode.OK, await Negotiate(own));
        Assert.Equal(HttpStatusCode.OK, await Negotiate(null));
        // Another port of the same host is the same site, so the Strict cookie goes along: the origin check is what refuses it.
        Assert.Equal(HttpStatusCode.Forbidden, await Negotiate(new UriBuilder(Host.BaseAddress) { Port = Host.BaseAddress.Port + 1 }.Uri.GetLeftPart(UriPartial.Authority)));
        Assert.Equal(HttpStatusCode.Forbidden, await Negotiate("https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await Negotiate("null"));
    }

    [Fact]
    public async Task Logins_from_one_address_beyond_the_limit_a_minute_are_refused_whatever_the_user_names()
    {
        var options = (Microsoft.Extensions.Options.IOptions<ConsoleOptions>)Host.App.Services.GetService(typeof(Microsoft.Extensions.Options.IOptions<ConsoleOptions>))!;
        var configured = options.Value.LoginAttemptsPerMinute;
        options.Value.LoginAttemptsPerMinute = 3;
        try
        {
            using var client = Host.CreateClient();
            await ConsoleHost.UseAntiforgeryAsync(client);
            // Password spraying: one guess at each of several accounts, which the per-user lock-out never sees.
            foreach (var user in new[] { "op", "maint", "boss" })
                Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest(user, "spray-password-1"))).StatusCode);
            var refused = await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("boss-plates", "spray-password-1"));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("too-many-attempts", (await refused.Content.ReadFromJsonAsync<ApiError>())!.Error);
            Assert.Equal(0, Host.Store.GetUser("boss-plates")!.FailedLogins); // refused before the password was looked at
        }
        finally
        {
            options.Value.LoginAttemptsPerMinute = configured;
        }
    }

    [Fact]
    public async Task Passwords_are_stored_as_identity_hashes_never_as_text()
    {
        var stored = Host.Store.GetUser("op")!;
        Assert.DoesNotContain(ConsoleHost.Password, stored.PasswordHash);
        Assert.Equal(0x01, Convert.FromBase64String(stored.PasswordHash)[0]); // Identity v3 format (PBKDF2)
        Assert.Equal(UserDirectory.HashIterations, Iterations(stored.PasswordHash));
    }

    [Fact]
    public async Task A_password_hashed_with_fewer_rounds_is_hashed_again_at_its_users_next_login()
    {
        var older = new PasswordHasher<UserRecord>(); // Identity's default rounds, as builds before this one stored them
        var user = new UserRecord { UserName = "old-hash", PasswordHash = "", Roles = [Roles.Operator] };
        Host.Store.AddUser(user with { PasswordHash = older.HashPassword(user, ConsoleHost.Password) }, DateTimeOffset.UtcNow);
        Assert.True(Iterations(Host.Store.GetUser("old-hash")!.PasswordHash) < UserDirectory.HashIterations);

        using var client = Host.CreateClient();
        await ConsoleHost.UseAntiforgeryAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("old-hash", ConsoleHost.Password))).StatusCode);

        Assert.Equal(UserDirectory.HashIterations, Iterations(Host.Store.GetUser("old-hash")!.PasswordHash));
    }

    /// <summary>The rounds an Identity v3 hash was made with: a big-endian count after the format byte and the PRF.</summary>
    private static int Iterations(string hash) => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(Convert.FromBase64String(hash).AsSpan(5, 4));

    [Theory]
    [InlineData("/api/v1/snapshot")]
    [InlineData("/api/v1/alarms")]
    [InlineData("/api/v1/agents")]
    [InlineData("/api/v1/dead-letters")]
    [InlineData("/api/v1/reports/passages-per-hour")]
    [InlineData("/api/v1/auth/me")]
    [InlineData("/api/v1/users")]
    [InlineData("/api/v1/contacts")]
    [InlineData("/api/v1/sites")]
    [InlineData("/api/v1/reports/incidents")]
    [InlineData("/api/v1/reports/monthly-volumes")]
    [InlineData("/api/v1/bores/maoliling/north/passages")]
    [InlineData("/api/v1/snapshots/00000000-0000-0000-0000-000000000001")]
    public async Task Without_a_session_the_api_answers_401(string path)
    {
        using var client = Host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Without_a_session_pages_go_to_the_login_page()
    {
        using var client = Host.CreateClient();
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode);
    }

    public static TheoryData<string, string, HttpStatusCode> Access => new()
    {
        { "op", "/api/v1/snapshot", HttpStatusCode.OK },
        { "op", "/api/v1/alarms", HttpStatusCode.OK },
        { "op", "/api/v1/agents", HttpStatusCode.Forbidden },
        { "op", "/api/v1/dead-letters", HttpStatusCode.Forbidden },
        { "op", "/api/v1/reports/passages-per-hour", HttpStatusCode.Forbidden },
        { "op", "/api/v1/users", HttpStatusCode.Forbidden },
        { "maint", "/api/v1/snapshot", HttpStatusCode.Forbidden },
        { "maint", "/api/v1/alarms", HttpStatusCode.Forbidden },
        { "maint", "/api/v1/agents", HttpStatusCode.OK },
        { "maint", "/api/v1/dead-letters", HttpStatusCode.OK },
        { "maint", "/api/v1/reports/passages-per-hour", HttpStatusCode.Forbidden },
        { "maint", "/api/v1/alarms/00000000-0000-0000-0000-000000000001/speech", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/snapshot", HttpStatusCode.OK },
        { "boss", "/api/v1/agents", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/dead-letters", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/reports/passages-per-hour", HttpStatusCode.OK },
        { "boss", "/api/v1/reports/passages-per-hour.csv", HttpStatusCode.OK },
        { "boss", "/api/v1/alarms/00000000-0000-0000-0000-000000000001/speech", HttpStatusCode.NotFound }, // the wall's roles; no such alarm
        { "admin", "/api/v1/agents", HttpStatusCode.OK },
        { "admin", "/api/v1/reports/passages-per-hour", HttpStatusCode.OK },
        { "admin", "/api/v1/users", HttpStatusCode.OK },
        { "op", "/api/v1/contacts", HttpStatusCode.OK },
        { "op", "/api/v1/sites", HttpStatusCode.Forbidden },
        { "op", "/api/v1/reports/daily-volumes", HttpStatusCode.Forbidden },
        { "op", "/contacts", HttpStatusCode.OK },
        { "op", "/account", HttpStatusCode.OK },
        { "op", "/users", HttpStatusCode.Redirect }, // pages send a refused role to /denied
        { "maint", "/api/v1/sites", HttpStatusCode.OK },
        { "maint", "/api/v1/contacts", HttpStatusCode.Forbidden },
        { "maint", "/api/v1/bores/maoliling/north/passages", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/reports/daily-volumes", HttpStatusCode.OK },
        { "boss", "/api/v1/reports/transit-times.csv", HttpStatusCode.OK },
        { "boss", "/api/v1/contacts", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/sites", HttpStatusCode.Forbidden },
        { "boss", "/api/v1/bores/maoliling/north/passages", HttpStatusCode.OK },
        { "admin", "/api/v1/sites", HttpStatusCode.OK },
        { "admin", "/api/v1/contacts", HttpStatusCode.OK },
        { "admin", "/users", HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Access))]
    public async Task Each_role_reaches_only_its_own_endpoints(string user, string path, HttpStatusCode expected)
    {
        using var client = await Host.LoginAsync(user, user == "admin" ? ConsoleHost.AdminPassword : null);
        Assert.Equal(expected, (await client.GetAsync(path)).StatusCode);
    }

    [Theory]
    [InlineData("boss", "/api/v1/alarms/00000000-0000-0000-0000-000000000001/acknowledge")]
    [InlineData("maint", "/api/v1/alarms/00000000-0000-0000-0000-000000000001/notes")]
    [InlineData("op", "/api/v1/users")]
    public async Task Roles_that_may_only_look_cannot_act(string user, string path)
    {
        using var client = await Host.LoginAsync(user);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync(path, new { note = "x" })).StatusCode);
    }

    [Fact]
    public async Task Every_post_needs_the_anti_forgery_token()
    {
        using var client = await Host.LoginAsync("op");
        var path = "/api/v1/alarms/00000000-0000-0000-0000-000000000001/notes";
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync(path, new NoteRequest("checked"))).StatusCode); // token good, alarm unknown
        client.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        var refused = await client.PostAsJsonAsync(path, new NoteRequest("forged"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("antiforgery", (await refused.Content.ReadFromJsonAsync<ApiError>())!.Error);
        client.DefaultRequestHeaders.Add("X-CSRF-TOKEN", "forged-token");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync(path, new NoteRequest("forged"))).StatusCode);
        // Login itself is a state change too.
        using var anonymous = Host.CreateClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("op", ConsoleHost.Password))).StatusCode);
    }

    [Fact]
    public async Task Managers_see_masked_plates_unless_granted()
    {
        await Host.PublishAsync("浙J12345", lane: 2, cls: VehicleClass.Car);
        await Host.UntilAsync(s => s.Bores.SelectMany(b => b.Inside).FirstOrDefault(v => v.Plate == "浙J12345"));

        async Task<IEnumerable<string?>> PlatesSeenBy(string user)
        {
            using var client = await Host.LoginAsync(user);
            var wall = await client.GetFromJsonAsync<WallSnapshot>("/api/v1/snapshot");
            return wall!.Bores.SelectMany(b => b.Inside).Select(v => v.Plate);
        }
        Assert.Contains("浙J1***5", await PlatesSeenBy("boss"));
        Assert.DoesNotContain("浙J12345", await PlatesSeenBy("boss"));
        Assert.Contains("浙J12345", await PlatesSeenBy("boss-plates"));
        Assert.Contains("浙J12345", await PlatesSeenBy("op"));
    }

    [Fact]
    public async Task An_overdue_alarm_is_listed_acknowledged_by_the_operator_and_audited()
    {
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙A77777" && t.State == AlarmState.ActiveUnacknowledged);
        await Host.PublishAsync("浙A77777", ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;
        Assert.Equal(AlarmKind.Overdue, alarm.Kind);

        using var client = await Host.LoginAsync("op");
        var open = await client.GetFromJsonAsync<List<AlarmDto>>("/api/v1/alarms");
        Assert.Contains(open!, a => a.AlarmId == alarm.AlarmId && a.State == "active-unacknowledged" && a.Plate == "浙A77777");

        var acknowledged = Host.NextAlarmAsync(t => t.AlarmId == alarm.AlarmId && t.State == AlarmState.ActiveAcknowledged);
        var response = await client.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/acknowledge", new AcknowledgeRequest("driver called"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("op", (await acknowledged).By);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/acknowledge", new AcknowledgeRequest(null))).StatusCode);

        var shelved = await client.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/shelve", new ShelveRequest("", 30));
        Assert.Equal(HttpStatusCode.BadRequest, shelved.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync($"/api/v1/alarms/{alarm.AlarmId}/shelve", new ShelveRequest("tow truck for 浙A77777 on its way", 30))).StatusCode);

        var history = await client.GetFromJsonAsync<List<AlarmDto>>($"/api/v1/alarms/{alarm.AlarmId}/history");
        Assert.Equal(["active-unacknowledged", "active-acknowledged", "shelved"], history!.Select(h => h.State));
        var audit = Host.Store.ReadAudit(actor: "op", subject: "alarm:" + alarm.AlarmId);
        Assert.Equal(["view-alarm-history", "alarm-shelve", "alarm-acknowledge"], audit.Select(a => a.Action));
        // The audit log outlives the plates' retention: the plate in the reason is masked there.
        Assert.Equal("30 min: tow truck for 浙A7***7 on its way", audit[1].Detail);
    }

    [Fact]
    public async Task An_operator_who_saw_the_alarmed_vehicle_leave_closes_its_alarm_and_takes_it_off_the_list_inside()
    {
        var raised = Host.NextAlarmAsync(t => t.Plate == "浙A76543" && t.State == AlarmState.ActiveUnacknowledged);
        // A lane of its own: behind another test's alarmed vehicle its time would not count (the queue behind a stop).
        await Host.PublishAsync("浙A76543", bore: "south", lane: 2, ago: TimeSpan.FromMinutes(20));
        var alarm = await raised;
        var url = $"/api/v1/alarms/{alarm.AlarmId}/seen-leaving";
        using (var boss = await Host.LoginAsync("boss"))
            Assert.Equal(HttpStatusCode.Forbidden, (await boss.PostAsJsonAsync(url, new SeenLeavingRequest("x"))).StatusCode);
        using var client = await Host.LoginAsync("op");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync(url, new SeenLeavingRequest(new string('x', WallApi.MaxNoteLength + 1)))).StatusCode);

        var closed = Host.NextAlarmAsync(t => t.AlarmId == alarm.AlarmId && t.State == AlarmState.Closed);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync(url, new SeenLeavingRequest("CCTV: 浙A76543 drove out at 08:10"))).StatusCode);
        Assert.Equal("seen-leaving", (await closed).ReasonCode);
        var history = await client.GetFromJsonAsync<List<AlarmDto>>($"/api/v1/alarms/{alarm.AlarmId}/history");
        Assert.Equal(["active-unacknowledged", "active-acknowledged", "closed"], history!.Select(h => h.State));
        Assert.Equal("op", history![1].By);
        await Host.UntilAsync(s => s.Bores.SelectMany(b => b.Inside).Any(v => v.Plate == "浙A76543") ? null : "gone");
        Assert.Single(Host.Store.VehiclesSeenLeavingSince(DateTimeOffset.MinValue), v => v.AlarmId == alarm.AlarmId && v.Actor == "op");
        var audit = Assert.Single(Host.Store.ReadAudit(actor: "op", subject: "alarm:" + alarm.AlarmId), a => a.Action == "alarm-seen-leaving");
        Assert.Equal("CCTV: 浙A7***3 drove out at 08:10", audit.Detail);

        // Closed now: nothing more to do, and said so.
        var again = await client.PostAsJsonAsync(url, new SeenLeavingRequest(null));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("alarm-state", (await again.Content.ReadFromJsonAsync<ApiError>())!.Error);
    }

    [Fact]
    public async Task An_operator_lifts_a_shelf_early_and_is_told_when_there_is_none_to_lift()
    {
        var (id, closedId) = await Host.Service.Post((engine, now) =>
        {
            var open = engine.Alarms.Raise(ConsoleHost.Overdue("浙B24680", now)).Id;
            var closed = engine.Alarms.Raise(ConsoleHost.Overdue("浙B13579", now)).Id;
            engine.Alarms.Acknowledge(closed, "op", null, now);
            engine.Alarms.ConditionCleared(closed, now, AlarmReason.Left(now, 1));
            return (open, closed);
        });
        using var client = await Host.LoginAsync("op");
        var unshelve = $"/api/v1/alarms/{id}/unshelve";

        var notShelved = await client.PostAsJsonAsync(unshelve, new { note = "nothing to lift" });
        Assert.Equal(HttpStatusCode.Conflict, notShelved.StatusCode);
        var why = (await notShelved.Content.ReadFromJsonAsync<ApiError>())!;
        Assert.Equal("alarm-state", why.Error);
        Assert.Contains("not shelved", why.Message);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync($"/api/v1/alarms/{id}/shelve", new ShelveRequest("tow truck on its way", 240))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync(unshelve, new { note = new string('x', WallApi.MaxNoteLength + 1) })).StatusCode);
        // A look-only role may not lift it, nor anyone without the anti-forgery token.
        using (var boss = await Host.LoginAsync("boss"))
            Assert.Equal(HttpStatusCode.Forbidden, (await boss.PostAsJsonAsync(unshelve, new { note = "x" })).StatusCode);
        using (var forged = await Host.LoginAsync("op"))
        {
            forged.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
            Assert.Equal(HttpStatusCode.BadRequest, (await forged.PostAsJsonAsync(unshelve, new { note = "x" })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync(unshelve, new { note = "shelved the wrong alarm" })).StatusCode);
        var history = (await client.GetFromJsonAsync<List<AlarmDto>>($"/api/v1/alarms/{id}/history"))!;
        Assert.Equal(["active-unacknowledged", "shelved", "active-unacknowledged"], history.Select(h => h.State));
        Assert.Equal(("op", "shelved the wrong alarm", (DateTimeOffset?)null), (history[^1].By, history[^1].Note, history[^1].ShelvedUntil));
        var open = (await client.GetFromJsonAsync<List<AlarmDto>>("/api/v1/alarms"))!.Single(a => a.AlarmId == id);
        Assert.Equal(("active-unacknowledged", (DateTimeOffset?)null), (open.State, open.ShelvedUntil));
        var audit = Host.Store.ReadAudit(actor: "op", subject: "alarm:" + id);
        Assert.Equal(["view-alarm-history", "alarm-unshelve", "alarm-shelve"], audit.Select(a => a.Action));
        Assert.Equal("shelved the wrong alarm", audit[1].Detail);

        // Lifted already; a closed alarm; an alarm there never was.
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync(unshelve, new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/v1/alarms/{closedId}/unshelve", new { })).StatusCode);
        var unknown = await client.PostAsJsonAsync($"/api/v1/alarms/{Guid.NewGuid()}/unshelve", new { });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not-found", (await unknown.Content.ReadFromJsonAsync<ApiError>())!.Error);
    }

    [Fact]
    public async Task A_plate_with_markup_is_refused_at_the_door_and_served_back_only_as_json_data()
    {
        const string markup = "浙J<script>alert(1)</script>";
        var json = TunnelJson.Serialize(new Passage
        {
            EventId = Guid.NewGuid(), AgentId = "maoliling-north-entry-1", Seq = 999_999, Site = "maoliling", Bore = "north", Portal = Portal.Entry,
            Lane = 1, CameraId = "cam-1", CapturedAt = DateTimeOffset.UtcNow, Plate = new PlateRead { Text = "PLATE" }, Vehicle = new VehicleRead(),
        }).Replace("PLATE", markup); // raw, as a hostile agent would send it (our serializer escapes < and >)
        await Host.PublishRawAsync("tunnel/v1/maoliling/north/entry/passage", json);
        // The admin sees plates: for maintenance without the grant the plate, markup or not, is masked.
        using var client = await Host.LoginAsync(UserDirectory.FirstAdmin, ConsoleHost.AdminPassword);
        await Host.UntilAsync(_ => Host.Store.ReadDeadLetters(50).FirstOrDefault(d => System.Text.Encoding.UTF8.GetString(d.Payload).Contains("<script>")));
        var response = await client.GetAsync("/api/v1/dead-letters");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        // JSON that a browser never sniffs as markup; the page puts it in text nodes (see the browser tests).
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var letters = JsonSerializer.Deserialize<List<DeadLetterView>>(body, JsonSerializerOptions.Web)!;
        Assert.Contains(letters, d => d.PayloadPreview.Contains("<script>alert(1)</script>")); // intact, as data
        Assert.Contains(Host.Store.ReadAudit(actor: UserDirectory.FirstAdmin), a => a.Action == "view-dead-letters"); // plates shown: recorded
        // The page asks every five seconds: the same user's looks are recorded once every ten minutes, not each time.
        var recorded = Host.Store.ReadAudit(actor: UserDirectory.FirstAdmin).Count(a => a.Action == "view-dead-letters");
        (await client.GetAsync("/api/v1/dead-letters")).EnsureSuccessStatusCode();
        Assert.Equal(recorded, Host.Store.ReadAudit(actor: UserDirectory.FirstAdmin).Count(a => a.Action == "view-dead-letters"));
    }

    [Fact]
    public async Task Maintenance_sees_why_a_passage_was_rejected_but_not_its_plate()
    {
        var json = TunnelJson.Serialize(new Passage
        {
            EventId = Guid.NewGuid(), AgentId = "maoliling-north-entry-1", Seq = 888_888, Site = "maoliling", Bore = "south", Portal = Portal.Entry,
            Lane = 1, CameraId = "cam-1", CapturedAt = DateTimeOffset.UtcNow, Plate = new PlateRead { Text = "浙J73519" }, Vehicle = new VehicleRead(),
        });
        await Host.PublishRawAsync("tunnel/v1/maoliling/north/entry/passage", json); // topic and payload disagree: dead-lettered
        await Host.UntilAsync(_ => Host.Store.ReadDeadLetters(50).FirstOrDefault(d => System.Text.Encoding.UTF8.GetString(d.Payload).Contains("浙J73519")));
        using var client = await Host.LoginAsync("maint");
        var letters = JsonSerializer.Deserialize<List<DeadLetterView>>(await client.GetStringAsync("/api/v1/dead-letters"), JsonSerializerOptions.Web)!;
        var letter = Assert.Single(letters, d => d.PayloadPreview.Contains("888888"));
        Assert.DoesNotContain("浙J73519", letter.PayloadPreview);
        Assert.Contains("浙J7***9", letter.PayloadPreview);
        Assert.Equal("topic-mismatch", letter.ReasonCode);
        // And the agent's row counts what of its was refused in the last hour.
        var agents = (await client.GetFromJsonAsync<List<AgentHealth>>("/api/v1/agents"))!;
        Assert.True(agents.Single(a => a.AgentId == "maoliling-north-entry-1").RejectedLastHour >= 1);
    }

    [Fact]
    public async Task Pages_and_api_carry_a_strict_content_security_policy_and_security_headers()
    {
        using var client = Host.CreateClient();
        foreach (var path in new[] { "/login", "/api/v1/auth/antiforgery", "/js/wall.js" })
        {
            var response = await client.GetAsync(path);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        }
        var page = await client.GetStringAsync("/login");
        Assert.DoesNotMatch("<script(?![^>]*src=)", page); // no inline script
        Assert.Contains("lang=\"zh-CN\"", page);
    }

    [Fact]
    public async Task The_browser_libraries_come_with_the_console_not_from_a_cdn()
    {
        using var client = Host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/lib/signalr-10.0.0.min.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/lib/echarts-6.1.0.min.js")).StatusCode);
    }

    [Fact]
    public async Task The_api_is_described_in_openapi_with_summaries()
    {
        using var client = Host.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        var ack = paths.GetProperty("/api/v1/alarms/{id}/acknowledge").GetProperty("post");
        Assert.False(string.IsNullOrEmpty(ack.GetProperty("summary").GetString()));
        Assert.True(paths.TryGetProperty("/api/v1/dead-letters", out _));
        Assert.True(paths.TryGetProperty("/api/v1/reports/passages-per-hour", out _));
        foreach (var (path, verb) in new[]
                 {
                     ("/api/v1/snapshots/{eventId}", "get"), ("/api/v1/alarms/{id}/vehicle", "get"), ("/api/v1/alarms/{id}/contact-attempts", "post"),
                     ("/api/v1/contacts", "post"), ("/api/v1/contacts/search", "post"), ("/api/v1/contacts/delete", "post"), ("/api/v1/auth/password", "post"), ("/api/v1/users/{userName}/unlock", "post"),
                     ("/api/v1/sites/{site}/bores/{bore}", "post"), ("/api/v1/reports/incidents.csv", "get"), ("/api/v1/reports/daily-volumes", "get"),
                     ("/api/v1/alarms/{id}/verdict", "post"), ("/api/v1/reports/monthly-volumes", "get"), ("/api/v1/reports/monthly-volumes.csv", "get"),
                     ("/api/v1/alarms/closed", "get"), ("/api/v1/alarms/{id}/speech", "get"), ("/api/v1/alarms/{id}/unshelve", "post"),
                     ("/api/v1/alarms/{id}/seen-leaving", "post"),
                 })
            Assert.False(string.IsNullOrEmpty(paths.GetProperty(path).GetProperty(verb).GetProperty("summary").GetString()), path);
    }

    [Fact]
    public async Task An_alarm_is_announced_by_its_id_as_wav_masked_as_the_wall_and_an_unknown_alarm_is_not_found()
    {
        var id = await Host.Service.Post((engine, now) =>
        {
            var id = Guid.NewGuid();
            engine.Alarms.Raise(new AlarmTransition
            {
                AlarmId = id, Kind = AlarmKind.Overdue, State = AlarmState.ActiveUnacknowledged, Priority = AlarmPriority.High,
                Site = ConsoleHost.Site, Bore = "north", Plate = "浙J12345", At = now, EnteredAt = now.AddMinutes(-10), Lane = 1,
            });
            return id;
        });
        using var op = await Host.LoginAsync("op");
        using var boss = await Host.LoginAsync("boss");
        var spoken = await op.GetAsync($"/api/v1/alarms/{id}/speech");
        // espeak-ng is part of the project's setup; without it the console says so (503) and keeps working.
        if (File.Exists("/usr/bin/espeak-ng"))
        {
            Assert.Equal(HttpStatusCode.OK, spoken.StatusCode);
            Assert.Equal("audio/wav", spoken.Content.Headers.ContentType!.MediaType);
            Assert.Contains("no-store", spoken.Headers.CacheControl!.ToString());
            var withPlate = await spoken.Content.ReadAsByteArrayAsync();
            Assert.Equal("RIFF"u8.ToArray(), withPlate[..4]);
            // A manager without the plate grant hears the alarm, not its plate.
            var masked = await boss.GetAsync($"/api/v1/alarms/{id}/speech");
            Assert.Equal(HttpStatusCode.OK, masked.StatusCode);
            Assert.NotEqual(withPlate, await masked.Content.ReadAsByteArrayAsync());
        }
        else
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, spoken.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/v1/alarms/{Guid.NewGuid()}/speech")).StatusCode);
        // Nothing speaks text a request brings any more.
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync("/api/v1/speech?text=" + Uri.EscapeDataString("北洞 浙J12345 车辆超时"))).StatusCode);
    }

    [Fact]
    public async Task The_hourly_report_counts_entries_by_bore_and_class_and_downloads_as_csv()
    {
        await Host.PublishAsync("浙B55555", bore: "south", cls: VehicleClass.Bus);
        await Host.UntilAsync(s => s.Bores.SelectMany(b => b.Inside).FirstOrDefault(v => v.Plate == "浙B55555"));
        using var client = await Host.LoginAsync("boss");
        var report = await client.GetFromJsonAsync<PassagesPerHour>("/api/v1/reports/passages-per-hour");
        Assert.Equal(24, report!.Hours.Count);
        Assert.Equal(1, report.Series.Single(s => s.Bore == "south" && s.VehicleClass == "bus").Counts[^1]);
        var csv = await client.GetAsync("/api/v1/reports/passages-per-hour.csv");
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith("hour (Asia/Shanghai),site,bore,class,passages", text.TrimStart('\uFEFF'));
        Assert.Contains(",maoliling,south,bus,1", text);
        Assert.Matches(@"\r\n\d{4}-\d{2}-\d{2} \d{2}:00,maoliling,", text);
    }
}
