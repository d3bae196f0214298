using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Tunnel.Central.Service;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

/// <summary>
/// Told after the central service took a new sites file, to bring what lives outside it along
/// (the private broker's agent logins and ACL). The host registers its own.
/// </summary>
public interface ISitesChangeHook
{
    Task SitesChangedAsync(SitesFile sites, CancellationToken ct);
}

public sealed record BoreSetup(string Id, double LengthMeters, double SpeedLimitKmh, int Lanes, double NominalTransitSeconds, IReadOnlyList<string> Agents);
public sealed record SiteSetup(string Id, string? Name, IReadOnlyList<BoreSetup> Bores);
public sealed record SitesView(IReadOnlyList<SiteSetup> Sites, IReadOnlyList<string> Warnings);
/// <summary>A refused change: <see cref="Message"/> says it all; <see cref="Problems"/> one by one, for the console to word each.</summary>
public sealed record SitesProblem(string Error, string Message, IReadOnlyList<string> Problems);

internal static class SitesApi
{
    // Two maintainers editing at once would each start from the same file and one would undo the other.
    private static readonly SemaphoreSlim OneEditAtATime = new(1, 1);

    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sites").WithTags("Sites").RequireAuthorization(Policies.Maintain);
        group.MapGet("/", (CentralService service) => View(service.Sites, []))
            .WithSummary("Sites, bores (length, speed limit, lanes) and the camera agents each bore has, one per lane and portal (maintenance)");

        group.MapPost("/", (SiteRequest request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.AddSite(s, request), "site-created", "site:" + request.Id,
                    $"name={request.Name} bores={string.Join(';', (request.Bores ?? []).Select(Describe))}"))
            .WithSummary("Create a site with its first bores; takes effect at once (maintenance; audited)");

        group.MapPost("/{site}", (string site, SiteRename request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RenameSite(s, site, request), "site-renamed", "site:" + site, $"name={request.Name}"))
            .WithSummary("Rename a site (maintenance; audited)");

        group.MapPost("/{site}/retire", (string site, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RetireSite(s, site), "site-retired", "site:" + site, null))
            .WithSummary("Retire a site and its bores; refused while a bore has vehicles inside or open alarms (maintenance; audited)");

        group.MapPost("/{site}/bores", (string site, BoreRequest request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.AddBore(s, site, request), "bore-created", $"bore:{site}/{request.Id}", Describe(request)))
            .WithSummary("Add a bore; its camera agents get broker logins at once (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}", (string site, string bore, BoreEdit request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.EditBore(s, site, bore, request), "bore-changed", $"bore:{site}/{bore}",
                    Describe(new BoreRequest(bore, request.LengthMeters, request.SpeedLimitKmh, request.Lanes))))
            .WithSummary("Change a bore's length, speed limit or lanes; the bore is rebuilt from stored passages, its vehicles kept (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/retire", (string site, string bore, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RetireBore(s, site, bore), "bore-retired", $"bore:{site}/{bore}", null))
            .WithSummary("Retire a bore; refused while it has vehicles inside or open alarms (maintenance; audited)");
    }

    private static string Describe(BoreRequest b) => $"{b.Id}: {b.LengthMeters} m, {b.SpeedLimitKmh} km/h, {b.Lanes} lanes";

    public static SitesView View(SitesFile sites, IReadOnlyList<string> warnings) => new(
        sites.Sites.Select(s => new SiteSetup(s.Id, s.Name, s.Bores.Select(b => new BoreSetup(b.Id, b.LengthMeters, b.SpeedLimitKmh, b.Lanes,
            Math.Round(b.NominalTransit.TotalSeconds, 1),
            (from portal in new[] { Portal.Entry, Portal.Exit }
             from lane in Enumerable.Range(1, b.Lanes)
             select PassageValidator.ConventionalAgentId(s.Id, b.Id, portal, lane)).ToList())).ToList())).ToList(),
        warnings);

    /// <summary>The request's way to apply one edit: check, hand to the service, store, tell the hooks, audit.</summary>
    internal sealed class Edit(CentralService service, TunnelStore store, IEnumerable<ISitesChangeHook> hooks, TimeProvider clock,
        ILogger<Edit> log, IHttpContextAccessor http)
    {
        private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("no request");

        private static IResult Problem(int status, string error, IReadOnlyList<string> problems) =>
            Results.Json(new SitesProblem(error, string.Join("; ", problems), problems), statusCode: status);

        public async Task<IResult> ApplyAsync(Func<SitesFile, (SitesFile? Sites, EditProblem? Problem)> edit, string action, string subject, string? detail)
        {
            var ct = Context.RequestAborted;
            await OneEditAtATime.WaitAsync(ct);
            try
            {
                var (next, problem) = edit(service.Sites);
                if (problem is not null) return Problem(problem.Status, problem.Error, [problem.Message]);
                var invalid = next!.Validate();
                if (invalid.Count > 0) return Problem(StatusCodes.Status400BadRequest, "invalid", invalid);
                var refused = await service.ReconfigureAsync(next);
                if (refused.Count > 0) return Problem(StatusCodes.Status409Conflict, "refused", refused);

                var now = clock.GetUtcNow();
                store.SaveConfig("sites", TunnelJson.Serialize(next), now);
                store.Audit(Context.User.Identity!.Name!, action, subject, detail, now);
                var warnings = new List<string>();
                foreach (var hook in hooks)
                {
                    try { await hook.SitesChangedAsync(next, CancellationToken.None); }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // The service took the change; what failed outside it is said, not hidden.
                        log.LogError(e, "after a sites change: {Hook} failed", hook.GetType().Name);
                        warnings.Add($"{hook.GetType().Name}: {e.Message}");
                    }
                }
                return Results.Ok(View(next, warnings));
            }
            finally
            {
                OneEditAtATime.Release();
            }
        }
    }
}
