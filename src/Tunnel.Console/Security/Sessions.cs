using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Security;

/// <summary>
/// The session cookie's principal, and its check on every request: a retired user, or one whose
/// password changed since the cookie was issued, is signed out at once rather than when the cookie expires.
/// </summary>
internal static class Sessions
{
    public const string StampClaim = "tunnel:stamp";

    public static ClaimsPrincipal PrincipalOf(UserRecord user)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, user.UserName), new(StampClaim, UserDirectory.Stamp(user)) };
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
        if (user is not null && !user.Disabled && principal!.FindFirstValue(StampClaim) == UserDirectory.Stamp(user)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    public static int Hours(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value.SessionHours;
}
