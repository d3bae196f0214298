using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Tunnel.WebConsole.Security;

internal static class SecurityHeaders
{
    /// <summary>
    /// Scripts, styles and everything else from our own origin only, and no inline script: a plate
    /// string that slipped into markup still could not run. Styles set through the CSSOM (bar widths,
    /// chart layout) are not inline markup and stay allowed.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static Task Apply(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        return next();
    }
}

/// <summary>
/// Every state change under /api must carry the anti-forgery token in <see cref="HeaderName"/>
/// (minimal APIs check it by themselves only for form posts, and ours take JSON).
/// </summary>
internal static class AntiforgeryCheck
{
    public const string HeaderName = "X-CSRF-TOKEN";

    public static async Task Apply(HttpContext context, Func<Task> next)
    {
        // The live hub takes no token: a page of another origin must not open it with the user's cookie.
        // SameSite keeps out other sites only, and another port of the same host is the same site.
        if (context.Request.Path.StartsWithSegments("/hub") && ForeignOrigin(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new ApiError("origin", "the live hub answers pages of its own origin only"));
            return;
        }
        if (context.Request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(context.Request.Method)
            && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method))
        {
            var antiforgery = context.RequestServices.GetService(typeof(IAntiforgery)) as IAntiforgery
                ?? throw new InvalidOperationException("anti-forgery is not registered");
            try
            {
                await antiforgery.ValidateRequestAsync(context);
            }
            catch (AntiforgeryValidationException)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsJsonAsync(new ApiError("antiforgery", "missing or invalid anti-forgery token; fetch /api/v1/auth/antiforgery"));
                return;
            }
        }
        await next();
    }

    /// <summary>An Origin header naming another scheme, host or port than the request's own (none at all: not a browser's cross-origin request).</summary>
    internal static bool ForeignOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) return false;
        return !Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}

public sealed record ApiError(string Error, string Message);
