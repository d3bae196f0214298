using Tunnel.Core.Contracts;

namespace Tunnel.WebConsole.Api;

public sealed record BoreRequest(string Id, double LengthMeters, double SpeedLimitKmh, int Lanes);
public sealed record BoreEdit(double LengthMeters, double SpeedLimitKmh, int Lanes);
public sealed record SiteRequest(string Id, string? Name, IReadOnlyList<BoreRequest> Bores);
public sealed record SiteRename(string? Name);
/// <summary>A camera to add at a portal ("entry" or "exit") and lane; no id: <c>cam-{bore}-{portal}-{lane}</c>.</summary>
public sealed record CameraRequest(string? Id, string Portal, int Lane, string? Name);
public sealed record CameraRename(string? Name);

/// <summary>An edit that cannot apply to the current sites file: the HTTP status and why.</summary>
public sealed record EditProblem(int Status, string Error, string Message);

/// <summary>
/// One maintenance edit of the sites file, as a pure function: the new file, or why not. Checking
/// the result (<see cref="SitesFile.Validate"/>) and applying it belong to the caller.
/// </summary>
internal static class SitesEditor
{
    public static (SitesFile? Sites, EditProblem? Problem) AddSite(SitesFile sites, SiteRequest request)
    {
        if (request.Bores is null || request.Bores.Count == 0) return Bad("a new site needs at least one bore");
        if (Find(sites, request.Id) is not null) return (null, new EditProblem(409, "exists", $"site '{request.Id}' exists"));
        var site = new SiteConfig { Id = request.Id?.Trim() ?? "", Name = Blank(request.Name), Bores = request.Bores.Select(Bore).ToList() };
        return (sites with { Sites = [.. sites.Sites, site] }, null);
    }

    public static (SitesFile? Sites, EditProblem? Problem) RenameSite(SitesFile sites, string siteId, SiteRename request) =>
        WithSite(sites, siteId, site => (site with { Name = Blank(request.Name) }, null));

    public static (SitesFile? Sites, EditProblem? Problem) RetireSite(SitesFile sites, string siteId)
    {
        if (Find(sites, siteId) is null) return Missing($"no site '{siteId}'");
        if (sites.Sites.Count == 1) return (null, new EditProblem(409, "last-site", "the last site cannot be retired"));
        return (sites with { Sites = sites.Sites.Where(s => s.Id != siteId).ToList() }, null);
    }

    public static (SitesFile? Sites, EditProblem? Problem) AddBore(SitesFile sites, string siteId, BoreRequest request) =>
        WithSite(sites, siteId, site => site.Bores.Any(b => b.Id == request.Id)
            ? (null, new EditProblem(409, "exists", $"bore '{siteId}/{request.Id}' exists"))
            : (site with { Bores = [.. site.Bores, Bore(request)] }, null));

    public static (SitesFile? Sites, EditProblem? Problem) EditBore(SitesFile sites, string siteId, string boreId, BoreEdit request) =>
        WithSite(sites, siteId, site => site.Bores.All(b => b.Id != boreId)
            ? (null, new EditProblem(404, "not-found", $"no bore '{siteId}/{boreId}'"))
            : (site with { Bores = site.Bores.Select(b => b.Id == boreId ? Resized(b, request) : b).ToList() }, null));

    /// <summary>
    /// The new length, limit and lanes; listed cameras are kept, and a lane added gets a camera at each
    /// portal where it has none on record (as a bore without a list would). An active camera of a lane
    /// taken away is left for validation to refuse: it is retired first, on purpose.
    /// </summary>
    private static BoreConfig Resized(BoreConfig b, BoreEdit r)
    {
        var resized = Bore(new BoreRequest(b.Id, r.LengthMeters, r.SpeedLimitKmh, r.Lanes));
        if (b.Cameras is not { } cameras) return resized;
        var added = BoreConfig.ImplicitCameras(b.Id, r.Lanes)
            .Where(c => !cameras.Any(k => k.Portal == c.Portal && k.Lane == c.Lane) && cameras.All(k => k.Id != c.Id));
        return resized with { Cameras = [.. cameras, .. added] };
    }

    public static (SitesFile? Sites, EditProblem? Problem) AddCamera(SitesFile sites, string siteId, string boreId, CameraRequest request)
    {
        if (!TryPortal(request.Portal, out var portal)) return Bad($"portal '{request.Portal}' must be entry or exit");
        return WithCameras(sites, siteId, boreId, cameras =>
        {
            var id = CameraId(boreId, request);
            if (cameras.Any(c => c.Id == id)) return (null, new EditProblem(409, "exists", $"camera '{siteId}/{boreId}/{id}' exists"));
            return ([.. cameras, new CameraConfig { Id = id, Portal = portal, Lane = request.Lane, Name = Blank(request.Name) }], null);
        });
    }

    /// <summary>The id a camera request gives, or the default one of its portal and lane.</summary>
    public static string CameraId(string boreId, CameraRequest request) =>
        !string.IsNullOrWhiteSpace(request.Id) ? request.Id.Trim()
        : TryPortal(request.Portal, out var portal) ? CameraConfig.DefaultId(boreId, portal, request.Lane) : "";

    public static (SitesFile? Sites, EditProblem? Problem) RenameCamera(SitesFile sites, string siteId, string boreId, string cameraId, CameraRename request) =>
        WithCamera(sites, siteId, boreId, cameraId, c => c with { Name = Blank(request.Name) });

    public static (SitesFile? Sites, EditProblem? Problem) RetireCamera(SitesFile sites, string siteId, string boreId, string cameraId) =>
        WithCamera(sites, siteId, boreId, cameraId, c => c with { Retired = true });

    /// <summary>Back in service; refused by validation while another camera is active at its portal and lane.</summary>
    public static (SitesFile? Sites, EditProblem? Problem) ActivateCamera(SitesFile sites, string siteId, string boreId, string cameraId) =>
        WithCamera(sites, siteId, boreId, cameraId, c => c with { Retired = false });

    private static (SitesFile?, EditProblem?) WithCamera(SitesFile sites, string siteId, string boreId, string cameraId, Func<CameraConfig, CameraConfig> edit) =>
        WithCameras(sites, siteId, boreId, cameras => cameras.All(c => c.Id != cameraId)
            ? (null, new EditProblem(404, "not-found", $"no camera '{siteId}/{boreId}/{cameraId}'"))
            : (cameras.Select(c => c.Id == cameraId ? edit(c) : c).ToList(), null));

    /// <summary>An edit of a bore's cameras; the first one writes down the implicit cameras as records.</summary>
    private static (SitesFile?, EditProblem?) WithCameras(SitesFile sites, string siteId, string boreId,
        Func<IReadOnlyList<CameraConfig>, (IReadOnlyList<CameraConfig>?, EditProblem?)> edit) =>
        WithSite(sites, siteId, site =>
        {
            if (site.Bores.FirstOrDefault(b => b.Id == boreId) is not { } bore) return (null, new EditProblem(404, "not-found", $"no bore '{siteId}/{boreId}'"));
            var (cameras, problem) = edit(bore.EffectiveCameras());
            return problem is not null ? (null, problem) : (site with { Bores = site.Bores.Select(b => b.Id == boreId ? b with { Cameras = cameras } : b).ToList() }, null);
        });

    private static bool TryPortal(string? text, out Portal portal)
    {
        portal = text switch { "entry" => Portal.Entry, "exit" => Portal.Exit, _ => (Portal)(-1) };
        return portal is Portal.Entry or Portal.Exit;
    }

    public static (SitesFile? Sites, EditProblem? Problem) RetireBore(SitesFile sites, string siteId, string boreId) =>
        WithSite(sites, siteId, site => site.Bores.All(b => b.Id != boreId)
            ? (null, new EditProblem(404, "not-found", $"no bore '{siteId}/{boreId}'"))
            : site.Bores.Count == 1
                ? (null, new EditProblem(409, "last-bore", $"'{siteId}/{boreId}' is the site's only bore: retire the site instead"))
                : (site with { Bores = site.Bores.Where(b => b.Id != boreId).ToList() }, null));

    private static (SitesFile?, EditProblem?) WithSite(SitesFile sites, string siteId, Func<SiteConfig, (SiteConfig?, EditProblem?)> edit)
    {
        if (Find(sites, siteId) is not { } site) return Missing($"no site '{siteId}'");
        var (changed, problem) = edit(site);
        return problem is not null ? (null, problem) : (sites with { Sites = sites.Sites.Select(s => s.Id == siteId ? changed! : s).ToList() }, null);
    }

    private static SiteConfig? Find(SitesFile sites, string? id) => sites.Sites.FirstOrDefault(s => s.Id == id);

    private static BoreConfig Bore(BoreRequest r) =>
        new() { Id = r.Id?.Trim() ?? "", LengthMeters = r.LengthMeters, SpeedLimitKmh = r.SpeedLimitKmh, Lanes = r.Lanes };

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static (SitesFile?, EditProblem?) Bad(string message) => (null, new EditProblem(400, "invalid", message));

    private static (SitesFile?, EditProblem?) Missing(string message) => (null, new EditProblem(404, "not-found", message));
}
