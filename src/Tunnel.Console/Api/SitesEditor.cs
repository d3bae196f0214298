using Tunnel.Core.Contracts;

namespace Tunnel.WebConsole.Api;

public sealed record BoreRequest(string Id, double LengthMeters, double SpeedLimitKmh, int Lanes);
public sealed record BoreEdit(double LengthMeters, double SpeedLimitKmh, int Lanes);
public sealed record SiteRequest(string Id, string? Name, IReadOnlyList<BoreRequest> Bores);
public sealed record SiteRename(string? Name);

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
            : (site with { Bores = site.Bores.Select(b => b.Id == boreId ? Bore(new BoreRequest(boreId, request.LengthMeters, request.SpeedLimitKmh, request.Lanes)) : b).ToList() }, null));

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
