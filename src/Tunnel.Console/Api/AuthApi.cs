using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Speech;

namespace Tunnel.WebConsole.Api;

public sealed record LoginRequest(string UserName, string Password);
public sealed record AntiforgeryToken(string HeaderName, string Token);
public sealed record Me(string UserName, string? DisplayName, IReadOnlyList<string> Roles, bool CanSeePlates, string TimeZone, bool SpeechAvailable);
public sealed record NewUser(string UserName, string Password, IReadOnlyList<string> Roles, IReadOnlyList<string>? Claims, string? DisplayName);
/// <summary>A login refused after too many failures: <paramref name="LockedUntil"/> on its own, for the page to show in <paramref name="TimeZone"/>, the console's.</summary>
public sealed record LockedOut(string Error, string Message, DateTimeOffset LockedUntil, string TimeZone);
/// <param name="LockedUntil">Until when the user is locked out after failed logins, from every address or from those in <paramref name="LockedFrom"/>.</param>
/// <param name="LockedFrom">The client addresses locked out of the user; empty while the user is locked out from every address, or not at all.</param>
public sealed record UserSummary(string UserName, string? DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Claims, bool Disabled,
    DateTimeOffset? LockedUntil, IReadOnlyList<string> LockedFrom);

internal static class AuthApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Authentication");
        auth.MapGet("/antiforgery", (HttpContext context, IAntiforgery antiforgery) =>
            {
                var tokens = antiforgery.GetAndStoreTokens(context);
                return new AntiforgeryToken(AntiforgeryCheck.HeaderName, tokens.RequestToken!);
            })
            .AllowAnonymous()
            .WithSummary("Anti-forgery token for the X-CSRF-TOKEN header of every POST; fetch again after logging in or out");

        auth.MapPost("/login", Login).AllowAnonymous().RequireRateLimiting(ConsoleSetup.LoginLimit)
            .WithSummary("Log in with user name and password; sets the session cookie. 5 failures from one client address lock that address out of " +
                         "the user for 15 minutes (423), 50 from all addresses together lock the user out everywhere; " +
                         "more attempts a minute from one address than Tunnel:Console:LoginAttemptsPerMinute (30) are refused (429)");

        auth.MapPost("/logout", async (HttpContext context, TunnelStore store, TimeProvider clock) =>
            {
                if (context.User.Identity is { IsAuthenticated: true, Name: { } name })
                {
                    await Sessions.EndAsync(context, store);
                    store.Audit(name, "logout", "user:" + name, null, clock.GetUtcNow());
                }
                await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.NoContent();
            })
            .AllowAnonymous()
            .WithSummary("End the session, on the server too: its cookie, or a copy of it, is refused from now on; the user's other sessions go on");

        auth.MapGet("/me", (ClaimsPrincipal user, IOptions<ConsoleOptions> options, SpeechService speech) =>
            {
                var name = user.Identity!.Name!;
                return new Me(name, user.FindFirstValue(ClaimTypes.GivenName), Roles.All.Where(user.IsInRole).ToList(),
                    Roles.CanSeePlates(user), options.Value.TimeZone, speech.Available);
            })
            .RequireAuthorization()
            .WithSummary("Who is logged in, with roles, whether plates are visible, the display time zone and whether speech works");

        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(Policies.Administer);
        users.MapGet("/", (TunnelStore store, TimeProvider clock) =>
            {
                var now = clock.GetUtcNow();
                var addressLocks = store.ListAddressLockouts(now).ToLookup(l => l.UserName);
                return store.ListUsers().Select(u =>
                {
                    var locks = addressLocks[u.UserName].ToList();
                    var everywhere = u.LockedUntil > now ? u.LockedUntil : null;
                    var until = locks.Select(l => l.LockedUntil).Append(everywhere).Max();
                    return new UserSummary(u.UserName, u.DisplayName, u.Roles, u.Claims, u.Disabled, until,
                        everywhere is null ? locks.Select(l => l.Address).ToList() : []);
                }).ToList();
            })
            .WithSummary("All console users, with any lock-out after failed logins and the addresses it keeps out (admin)");
        users.MapPost("/", (NewUser request, UserDirectory directory, TunnelStore store, ClaimsPrincipal admin, TimeProvider clock) =>
            {
                try
                {
                    var created = directory.Create(request.UserName, request.Password, request.Roles, request.Claims, request.DisplayName);
                    store.Audit(admin.Identity!.Name!, "user-created", "user:" + created.UserName,
                        $"roles={string.Join(',', created.Roles)} claims={string.Join(',', created.Claims)}", clock.GetUtcNow());
                    return Results.Created($"/api/v1/users/{created.UserName}",
                        new UserSummary(created.UserName, created.DisplayName, created.Roles, created.Claims, created.Disabled, null, []));
                }
                catch (ArgumentException e)
                {
                    return Results.BadRequest(new ApiError("invalid", e.Message));
                }
                catch (InvalidOperationException e)
                {
                    return Results.Conflict(new ApiError("exists", e.Message));
                }
            })
            .WithSummary("Create a user with roles (operator, maintenance, manager, admin) and the optional 'plates' grant (admin)");
    }

    private static async Task<IResult> Login(LoginRequest request, HttpContext context, UserDirectory directory, IOptions<ConsoleOptions> options, SpeechService speech)
    {
        var result = directory.SignIn(request.UserName ?? "", request.Password ?? "", ClientAddress.Of(context));
        switch (result.Outcome)
        {
            case SignInOutcome.LockedOut:
                return Results.Json(new LockedOut("locked", $"too many failed logins; locked until {result.LockedUntil:O}", result.LockedUntil!.Value,
                    options.Value.TimeZone), statusCode: StatusCodes.Status423Locked);
            case SignInOutcome.Failed:
                return Results.Json(new ApiError("invalid", "wrong user name or password"), statusCode: StatusCodes.Status401Unauthorized);
        }
        var user = result.User!;
        await Sessions.SignInAsync(context, user, options.Value.SessionHours);
        var principal = Sessions.PrincipalOf(user);
        return Results.Ok(new Me(user.UserName, user.DisplayName, user.Roles, Roles.CanSeePlates(principal), options.Value.TimeZone, speech.Available));
    }
}
