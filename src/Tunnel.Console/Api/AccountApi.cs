using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

public sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword);
public sealed record ResetPasswordRequest(string Password);

/// <summary>One's own password, and the admin's care of other accounts: reset, unlock, retire. Everything audited.</summary>
internal static class AccountApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/auth/password", async (ChangePasswordRequest request, ClaimsPrincipal user, HttpContext context, UserDirectory directory,
                TunnelStore store, TimeProvider clock) =>
            {
                var name = user.Identity!.Name!;
                try
                {
                    directory.ChangePassword(name, request.CurrentPassword ?? "", request.NewPassword ?? "", ClientAddress.Of(context));
                }
                catch (ArgumentException e)
                {
                    return Results.BadRequest(new ApiError("invalid", e.Message));
                }
                store.Audit(name, "password-changed", "user:" + name, null, clock.GetUtcNow());
                // Other sessions end with the old stamp; this one carries on with the new.
                await Sessions.SignInAsync(context, store.GetUser(name)!, Sessions.Hours(context));
                return Results.NoContent();
            })
            .RequireAuthorization(Policies.SignedIn).WithTags("Authentication")
            .WithSummary("Change one's own password (the current one is required); ends the user's other sessions (audited)");

        var users = api.MapGroup("/users/{userName}").WithTags("Users").RequireAuthorization(Policies.Administer);
        users.MapPost("/password", (string userName, ResetPasswordRequest request, ClaimsPrincipal admin, UserDirectory directory, TunnelStore store,
                TimeProvider clock) =>
            {
                try
                {
                    if (!directory.ResetPassword(userName, request.Password ?? "")) return NotFound(userName);
                }
                catch (ArgumentException e)
                {
                    return Results.BadRequest(new ApiError("invalid", e.Message));
                }
                Audit(store, admin, "password-reset", userName, clock);
                return Results.NoContent();
            })
            .WithSummary("Set a new password for a user (admin); lifts a lock-out and ends the user's sessions (audited)");

        users.MapPost("/unlock", (string userName, ClaimsPrincipal admin, TunnelStore store, TimeProvider clock) =>
            {
                if (!store.UnlockUser(userName, clock.GetUtcNow())) return NotFound(userName);
                Audit(store, admin, "user-unlocked", userName, clock);
                return Results.NoContent();
            })
            .WithSummary("Lift a user's lock-out after failed logins, from every address and from each (admin; audited)");

        users.MapPost("/retire", (string userName, ClaimsPrincipal admin, TunnelStore store, TimeProvider clock) =>
            {
                var user = store.GetUser(userName);
                if (user is null) return NotFound(userName);
                if (user.UserName == TunnelStore.NormaliseUserName(admin.Identity!.Name!))
                    return Results.Conflict(new ApiError("self", "you cannot retire your own account"));
                if (user.Disabled) return Results.Conflict(new ApiError("retired", $"user '{user.UserName}' is already retired"));
                store.UpdateUser(user with { Disabled = true }, clock.GetUtcNow());
                Audit(store, admin, "user-retired", userName, clock);
                return Results.NoContent();
            })
            .WithSummary("Retire a user: no more logins, open sessions end at once; the name stays taken so the audit keeps its meaning (admin; audited)");
    }

    private static IResult NotFound(string userName) => Results.NotFound(new ApiError("not-found", $"no user '{userName}'"));

    private static void Audit(TunnelStore store, ClaimsPrincipal admin, string action, string userName, TimeProvider clock) =>
        store.Audit(admin.Identity!.Name!, action, "user:" + TunnelStore.NormaliseUserName(userName), null, clock.GetUtcNow());
}
