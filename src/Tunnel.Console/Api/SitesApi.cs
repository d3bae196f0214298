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

/// <summary>A camera record: <see cref="AgentId"/> is the broker login it has while active.</summary>
public sealed record CameraSetup(string Id, string Portal, int Lane, string? Name, bool Retired, string AgentId);
/// <summary><see cref="Agents"/>: the agents of the active cameras, entry lanes then exit lanes; <see cref="Cameras"/>: every record, retired ones too.</summary>
public sealed record BoreSetup(string Id, double LengthMeters, double SpeedLimitKmh, int Lanes, double NominalTransitSeconds, IReadOnlyList<string> Agents,
    IReadOnlyList<CameraSetup> Cameras);
public sealed record SiteSetup(string Id, string? Name, IReadOnlyList<BoreSetup> Bores);
/// <summary>
/// The sites after an edit (or as they are), with the cameras the edit put into service (<see cref="CamerasAdded"/>) and took
/// out of it (<see cref="CamerasRetired"/>): a bore's lanes, a new bore or a retired site change cameras too.
/// </summary>
public sealed record SitesView(IReadOnlyList<SiteSetup> Sites, IReadOnlyList<string> Warnings,
    IReadOnlyList<CameraChange>? CamerasAdded = null, IReadOnlyList<CameraChange>? CamerasRetired = null);
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
            .WithSummary("Sites, bores (length, speed limit, lanes), their cameras and the agents of the active ones (maintenance)");

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
            .WithSummary("Change a bore's length, speed limit or lanes; the bore is rebuilt from stored passages, its vehicles kept; " +
                         "the answer names the cameras a lane added or taken away put into or out of service (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/retire", (string site, string bore, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RetireBore(s, site, bore), "bore-retired", $"bore:{site}/{bore}", null))
            .WithSummary("Retire a bore; refused while it has vehicles inside or open alarms (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/cameras", (string site, string bore, CameraRequest request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.AddCamera(s, site, bore, request), "camera-created",
                    $"camera:{site}/{bore}/{SitesEditor.CameraId(bore, request)}",
                    $"portal={request.Portal} lane={request.Lane} name={request.Name}"))
            .WithSummary("Add a camera at a portal lane that has no active one; its agent gets a broker login at once (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/cameras/{camera}", (string site, string bore, string camera, CameraRename request, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RenameCamera(s, site, bore, camera, request), "camera-renamed", $"camera:{site}/{bore}/{camera}", $"name={request.Name}"))
            .WithSummary("Rename a camera (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/cameras/{camera}/retire", (string site, string bore, string camera, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.RetireCamera(s, site, bore, camera), "camera-retired", $"camera:{site}/{bore}/{camera}", null))
            .WithSummary("Retire a camera: kept on record, its agent loses its broker login (maintenance; audited)");

        group.MapPost("/{site}/bores/{bore}/cameras/{camera}/activate", (string site, string bore, string camera, Edit edit) =>
                edit.ApplyAsync(s => SitesEditor.ActivateCamera(s, site, bore, camera), "camera-activated", $"camera:{site}/{bore}/{camera}", null))
            .WithSummary("Put a retired camera back in service; refused while another is active at its portal lane (maintenance; audited)");
    }

    private static string Describe(BoreRequest b) => $"{b.Id}: {b.LengthMeters} m, {b.SpeedLimitKmh} km/h, {b.Lanes} lanes";

    public static SitesView View(SitesFile sites, IReadOnlyList<string> warnings,
        (IReadOnlyList<CameraChange> Added, IReadOnlyList<CameraChange> Retired) cameras = default) => new(
        sites.Sites.Select(s => new SiteSetup(s.Id, s.Name, s.Bores.Select(b => new BoreSetup(b.Id, b.LengthMeters, b.SpeedLimitKmh, b.Lanes,
            Math.Round(b.NominalTransit.TotalSeconds, 1),
            b.EffectiveCameras().Where(c => !c.Retired).OrderBy(c => c.Portal).ThenBy(c => c.Lane)
                .Select(c => PassageValidator.ConventionalAgentId(s.Id, b.Id, c.Portal, c.Lane)).ToList(),
            b.EffectiveCameras().OrderBy(c => c.Portal).ThenBy(c => c.Lane).ThenBy(c => c.Retired)
                .Select(c => new CameraSetup(c.Id, TunnelJson.Name(c.Portal), c.Lane, c.Name, c.Retired,
                    PassageValidator.ConventionalAgentId(s.Id, b.Id, c.Portal, c.Lane))).ToList())).ToList())).ToList(),
        warnings, cameras.Added ?? [], cameras.Retired ?? []);

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
                var before = service.Sites;
                var (next, problem) = edit(before);
                if (problem is not null) return Problem(problem.Status, problem.Error, [problem.Message]);
                var invalid = next!.Validate();
                if (invalid.Count > 0) return Problem(StatusCodes.Status400BadRequest, "invalid", invalid);
                var refused = await service.ReconfigureAsync(next);
                if (refused.Count > 0) return Problem(StatusCodes.Status409Conflict, "refused", refused);

                var now = clock.GetUtcNow();
                store.SaveConfig("sites", TunnelJson.Serialize(next), now);
                store.Audit(Context.User.Identity!.Name!, action, subject, detail, now);
                var cameras = CameraChanges.Between(before, next);
                CameraActivations.Record(store, next, cameras.Added, now);
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
                return Results.Ok(View(next, warnings, cameras));
            }
            finally
            {
                OneEditAtATime.Release();
            }
        }
    }
}
