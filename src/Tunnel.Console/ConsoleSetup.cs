using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using System.Threading.RateLimiting;
using Tunnel.Central.Service;
using Tunnel.Storage;
using Tunnel.WebConsole.Api;
using Tunnel.WebConsole.Live;
using Tunnel.WebConsole.Security;
using Tunnel.WebConsole.Speech;

namespace Tunnel.WebConsole;

/// <summary>
/// The web console's one entry point for a host: <see cref="AddTunnelConsole"/> on the services,
/// <see cref="MapTunnelConsole"/> on the built application.
/// </summary>
public static class ConsoleSetup
{
    public const string AuthCookie = "tunnel.auth";
    public const string AntiforgeryCookie = "tunnel.af";
    public const string LoginLimit = "login";

    private static readonly (string Path, string File, string? Policy)[] Pages =
    [
        ("/", "index.html", Policies.Watch),
        ("/maintenance", "maintenance.html", Policies.Maintain),
        ("/reports", "reports.html", Policies.Reports),
        ("/contacts", "contacts.html", Policies.Act),
        ("/users", "users.html", Policies.Administer),
        ("/account", "account.html", Policies.SignedIn),
        ("/login", "login.html", null),
        ("/denied", "login.html", null),
    ];

    /// <summary>
    /// Registers the console over a running <paramref name="service"/> and its <paramref name="store"/>.
    /// Reads <c>Tunnel:Console</c> (<see cref="ConsoleOptions"/>) and <c>Tunnel:DataDirectory</c>
    /// (session keys and the speech cache live there).
    /// </summary>
    public static IServiceCollection AddTunnelConsole(this IServiceCollection services, IConfiguration configuration, CentralService service, TunnelStore store)
    {
        var dataDirectory = Path.GetFullPath(configuration["Tunnel:DataDirectory"] ?? "data");
        services.AddSingleton(service);
        services.AddSingleton(store);
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<ConsoleOptions>(o =>
        {
            configuration.GetSection(ConsoleOptions.Section).Bind(o);
            o.DataDirectory = dataDirectory;
        });
        // The host registers the service's own snapshot store; this fallback reads the same folder.
        services.TryAddSingleton(sp => SnapshotStore.InDataDirectory(dataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<LookAudit>();
        services.AddHttpContextAccessor();
        services.AddScoped<SitesApi.Edit>();
        services.AddSingleton<SpeechService>();

        // Keys on disk: sessions and anti-forgery tokens survive a restart of the service.
        services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "console-keys")))
            .SetApplicationName("tunnel-console");
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = AuthCookie;
            o.Cookie.HttpOnly = true;
            // Strict: no other site can make a browser send it, which also guards the hub's WebSocket.
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            // Sessions expire in real time: the service's clock (the demo's runs --speed times faster) would let a
            // cookie issued now already be expired on it.
            o.TimeProvider = TimeProvider.System;
            o.LoginPath = "/login";
            o.AccessDeniedPath = "/denied";
            o.Events.OnValidatePrincipal = Sessions.ValidateAsync;
            o.Events.OnRedirectToLogin = context => Challenge(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => Challenge(context, StatusCodes.Status403Forbidden);
        });
        services.AddAuthorization(o =>
        {
            foreach (var (name, roles) in Policies.RolesOf) o.AddPolicy(name, p => p.RequireAuthenticatedUser().RequireRole(roles));
            o.AddPolicy(Policies.SignedIn, p => p.RequireAuthenticatedUser());
            o.AddPolicy(Policies.SeePlates, p => p.RequireAuthenticatedUser().RequireAssertion(c => Roles.CanSeePlates(c.User)));
            o.AddPolicy(Policies.Investigate, p => p.RequireAuthenticatedUser().RequireRole(Policies.RolesOf[Policies.Watch])
                .RequireAssertion(c => Roles.CanSeePlates(c.User)));
        });
        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryCheck.HeaderName;
            o.Cookie.Name = AntiforgeryCookie;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(LoginLimit, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsoleOptions>>().Value.LoginAttemptsPerMinute;
                var address = ClientAddress.Of(context);
                return RateLimitPartition.GetFixedWindowLimiter($"{address}/{perMinute}",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            o.OnRejected = async (rejected, ct) =>
            {
                var response = rejected.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)) response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString();
                await response.WriteAsJsonAsync(new ApiError("too-many-attempts", "too many login attempts from this address; wait a minute"), ct);
            };
        });
        // A ping every 3 s lets walls time the server out after 10 s (wall.js) instead of SignalR's default 30 s:
        // a link that drops silently is then noticed before an operator trusts a stale wall.
        // And a wall that has not pinged for 10 s (it pings every 3 s) is dropped: a dead wall PC whose link went
        // without a reset would otherwise hold up the pushes to every wall until SignalR's default 30 s.
        services.AddSignalR(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromSeconds(3);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(10);
        });
        services.AddSingleton<LiveSessions>();
        services.AddSingleton<LatestTransitions>();
        services.AddHostedService<LiveBroadcaster>();
        return services;
    }

    /// <summary>
    /// Adds the console's middleware (security headers, static files, authentication, anti-forgery)
    /// and endpoints (pages, /api/v1, the live hub), and creates the first admin if there are no users.
    /// Call after the host's own Map* calls or before: endpoints do not depend on the order.
    /// </summary>
    public static WebApplication MapTunnelConsole(this WebApplication app)
    {
        app.Services.GetRequiredService<UserDirectory>().EnsureFirstAdmin();
        var assets = new EmbeddedAssets();

        // A reverse proxy on this machine (the only one trusted, and only when configured) tells the client's address, which
        // the login limit and the lock-out count by, and whether it came over HTTPS, which the session cookie's Secure flag follows.
        if (app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.BehindProxy)
            app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto });
        app.Use(SecurityHeaders.Apply);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = assets,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(AntiforgeryCheck.Apply);

        foreach (var (path, file, policy) in Pages)
        {
            var page = app.MapGet(path, () => Results.Stream(assets.GetFileInfo(file).CreateReadStream(), "text/html; charset=utf-8"))
                .ExcludeFromDescription();
            if (policy is null) page.AllowAnonymous();
            else page.RequireAuthorization(policy);
        }

        var api = app.MapGroup("/api/v1");
        AuthApi.Map(api);
        WallApi.Map(api);
        MaintenanceApi.Map(api);
        ReportApi.Map(api);
        VehicleApi.Map(api);
        ContactApi.Map(api);
        AccountApi.Map(api);
        SitesApi.Map(api);
        AuditApi.Map(api);
        // A connection ends when its cookie expires, not only when its socket drops.
        app.MapHub<LiveHub>(LiveHub.Path, o => o.CloseOnAuthenticationExpiration = true);
        return app;
    }

    /// <summary>The API and the hub answer 401/403; pages go to the login page.</summary>
    private static Task Challenge(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hub"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
