using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Security;

/// <summary>
/// The session cookie's principal, and its check on every request: a retired user, one whose password changed since the
/// cookie was issued, or a session logged out, is signed out at once rather than when the cookie expires.
/// </summary>
/// <remarks>
/// Each login is a session of its own, named by a random id in the cookie: logging out ends that one in the store, so a
/// copy of its cookie (a shared machine, a browser profile copied) is refused from then on, after a restart too, while the
/// same user's other sessions (an operator's wall on another screen) go on. A cookie without an id comes from a build
/// before sessions had one: it is refused, since no logout could end it, and its user logs in once more.
/// </remarks>
internal static class Sessions
{
    public const string StampClaim = "tunnel:stamp";
    public const string SessionClaim = "tunnel:session";

    public static ClaimsPrincipal PrincipalOf(UserRecord user)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, user.UserName), new(StampClaim, UserDirectory.Stamp(user)),
            new(SessionClaim, Convert.ToHexString(RandomNumberGenerator.GetBytes(16))),
        };
        if (user.DisplayName is { } display) claims.Add(new Claim(ClaimTypes.GivenName, display));
        claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        claims.AddRange(user.Claims.Select(c => new Claim(Roles.PermissionClaimType, c)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static Task SignInAsync(HttpContext context, UserRecord user, int sessionHours) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PrincipalOf(user),
            new AuthenticationProperties { IsPersistent = false, ExpiresUtc = DateTimeOffset.UtcNow.AddHours(sessionHours) });

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var store = context.HttpContext.RequestServices.GetRequiredService<TunnelStore>();
        var user = principal?.Identity?.Name is { } name ? store.GetUser(name) : null;
        if (principal is not null && user is { Disabled: false } && principal.FindFirstValue(StampClaim) == UserDirectory.Stamp(user)
            && principal.FindFirstValue(SessionClaim) is { } session && !store.SessionEnded(session)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>Ends the request's session in the store, and no other: its cookie, and any copy of it, is refused from now on.</summary>
    public static async Task EndAsync(HttpContext context, TunnelStore store)
    {
        if (context.User.FindFirstValue(SessionClaim) is not { } session) return;
        var ticket = (await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme)).Properties;
        // The cookie's own clock (real time, not the service's), and its span: a copy renewed up to now (sliding expiration)
        // lives at most one span from now, and once that is past the store may forget the session.
        var now = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>()
            .Get(CookieAuthenticationDefaults.AuthenticationScheme).TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        var span = ticket?.ExpiresUtc - ticket?.IssuedUtc ?? TimeSpan.FromHours(Hours(context));
        store.EndSession(session, now + span, now);
    }

    public static int Hours(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value.SessionHours;
}
