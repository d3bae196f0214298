using System.Text.Json;

namespace Tunnel.Core.Contracts;

/// <summary>How a deployment describes its tunnels (the sites file).</summary>
public sealed record SitesFile
{
    public required IReadOnlyList<SiteConfig> Sites { get; init; }

    public static SitesFile Load(string path)
    {
        SitesFile? file;
        try
        {
            file = JsonSerializer.Deserialize<SitesFile>(File.ReadAllText(path), TunnelJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"sites file {path}: {e.Message}", e);
        }
        if (file is null) throw new InvalidDataException($"sites file {path} is empty");
        var errors = file.Validate();
        if (errors.Count > 0) throw new InvalidDataException($"sites file {path}: {string.Join("; ", errors)}");
        return file;
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Sites.Count == 0) errors.Add("no sites");
        foreach (var dup in Sites.GroupBy(s => s.Id).Where(g => g.Count() > 1)) errors.Add($"site '{dup.Key}' appears twice");
        foreach (var site in Sites)
        {
            if (!Identifiers.IsValid(site.Id)) errors.Add($"site id '{site.Id}' must be 1-64 of a-z 0-9 - _");
            if (site.Bores.Count == 0) errors.Add($"site '{site.Id}' has no bores");
            foreach (var dup in site.Bores.GroupBy(b => b.Id).Where(g => g.Count() > 1)) errors.Add($"bore '{site.Id}/{dup.Key}' appears twice");
            foreach (var bore in site.Bores)
            {
                var at = $"bore '{site.Id}/{bore.Id}'";
                if (!Identifiers.IsValid(bore.Id)) errors.Add($"{at}: id must be 1-64 of a-z 0-9 - _");
                if (bore.LengthMeters is <= 0 or > 100_000) errors.Add($"{at}: lengthMeters must be in (0, 100000]");
                if (bore.SpeedLimitKmh is <= 0 or > 200) errors.Add($"{at}: speedLimitKmh must be in (0, 200]");
                if (bore.Lanes is < 1 or > 8) errors.Add($"{at}: lanes must be 1 to 8");
                ValidateCameras(bore, at, errors);
            }
        }
        // An agent id joins site and bore with a hyphen, which ids may hold too: the cameras of two bores would share one broker
        // login, the topics its ACL opens and one numbering of passages, each agent's acknowledgement dropping the other's.
        foreach (var dup in ActiveCameraAgents().GroupBy(a => a.AgentId).Select(g => (Agent: g.Key, Bores: g.Select(a => $"bore '{a.Site.Id}/{a.Bore.Id}'").Distinct().ToList()))
                     .Where(g => g.Bores.Count > 1))
            errors.Add($"agent id '{dup.Agent}' would serve {string.Join(" and ", dup.Bores)}: rename one of them");
        return errors;
    }

    private static void ValidateCameras(BoreConfig bore, string at, List<string> errors)
    {
        if (bore.Cameras is not { } cameras) return;
        foreach (var dup in cameras.GroupBy(c => c.Id).Where(g => g.Count() > 1)) errors.Add($"{at}: camera '{dup.Key}' appears twice");
        foreach (var camera in cameras)
        {
            if (!Identifiers.IsValid(camera.Id)) errors.Add($"{at}: camera id '{camera.Id}' must be 1-64 of a-z 0-9 - _");
            if (!Enum.IsDefined(camera.Portal)) errors.Add($"{at}: camera '{camera.Id}' has no valid portal");
            // A retired camera may keep the lane of a bore since narrowed; an active one films a lane that exists.
            if (camera.Lane < 1 || camera.Lane > (camera.Retired ? 8 : bore.Lanes))
                errors.Add($"{at}: camera '{camera.Id}' lane {camera.Lane} must be 1 to {(camera.Retired ? 8 : bore.Lanes)}");
            if (camera.Name is { Length: > CameraConfig.MaxNameLength }) errors.Add($"{at}: camera '{camera.Id}' name must be at most {CameraConfig.MaxNameLength} characters");
        }
        foreach (var dup in cameras.Where(c => !c.Retired).GroupBy(c => (c.Portal, c.Lane)).Where(g => g.Count() > 1))
            errors.Add($"{at}: {TunnelJson.Name(dup.Key.Portal)} lane {dup.Key.Lane} has {dup.Count()} active cameras ({string.Join(", ", dup.Select(c => c.Id))}); at most one");
    }

    public BoreConfig? FindBore(string site, string bore) =>
        Sites.FirstOrDefault(s => s.Id == site)?.Bores.FirstOrDefault(b => b.Id == bore);

    public IEnumerable<(SiteConfig Site, BoreConfig Bore)> AllBores() =>
        Sites.SelectMany(s => s.Bores.Select(b => (s, b)));

    /// <summary>Every active camera with the agent that reports it: one agent per active portal camera, named by <see cref="Validation.PassageValidator.ConventionalAgentId"/>.</summary>
    public IEnumerable<(SiteConfig Site, BoreConfig Bore, CameraConfig Camera, string AgentId)> ActiveCameraAgents() =>
        from sb in AllBores()
        from camera in sb.Bore.EffectiveCameras()
        where !camera.Retired
        select (sb.Site, sb.Bore, camera, Validation.PassageValidator.ConventionalAgentId(sb.Site.Id, sb.Bore.Id, camera.Portal, camera.Lane));

    /// <summary>The reference deployment: 猫狸岭 on the G15, two bores of 3.6 km at 80 km/h.</summary>
    public static SitesFile Maoliling => new()
    {
        Sites =
        [
            new SiteConfig
            {
                Id = "maoliling", Name = "猫狸岭隧道",
                Bores =
                [
                    new BoreConfig { Id = "north", LengthMeters = 3600, SpeedLimitKmh = 80, Lanes = 2 },
                    new BoreConfig { Id = "south", LengthMeters = 3600, SpeedLimitKmh = 80, Lanes = 2 },
                ],
            },
        ],
    };
}

public sealed record SiteConfig
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required IReadOnlyList<BoreConfig> Bores { get; init; }
}

public sealed record BoreConfig
{
    public required string Id { get; init; }
    public required double LengthMeters { get; init; }
    public required double SpeedLimitKmh { get; init; }
    public required int Lanes { get; init; }

    /// <summary>
    /// The bore's cameras as records; absent (null), the implicit ones of <see cref="EffectiveCameras"/>:
    /// one per portal and lane. Once written, it is the whole list: a bore's cameras are what it says.
    /// </summary>
    public IReadOnlyList<CameraConfig>? Cameras { get; init; }

    /// <summary>Transit time at the speed limit: the prior before real transits are seen.</summary>
    public TimeSpan NominalTransit => TimeSpan.FromSeconds(LengthMeters / (SpeedLimitKmh / 3.6));

    /// <summary>The cameras as listed, or (no list) one active camera per portal and lane with the default id and no name.</summary>
    public IReadOnlyList<CameraConfig> EffectiveCameras() => Cameras ?? ImplicitCameras(Id, Lanes);

    /// <summary>The cameras a bore without a list has: entry lanes 1..n, then exit lanes 1..n.</summary>
    public static IReadOnlyList<CameraConfig> ImplicitCameras(string bore, int lanes) =>
        (from portal in new[] { Portal.Entry, Portal.Exit }
         from lane in Enumerable.Range(1, Math.Max(0, lanes))
         select new CameraConfig { Id = CameraConfig.DefaultId(bore, portal, lane), Portal = portal, Lane = lane }).ToList();
}

/// <summary>
/// One camera (and the edge agent behind it) at a portal lane. The agent id stays the convention
/// <c>{site}-{bore}-{portal}-{lane}</c>; the camera id names the record (a replaced camera keeps its own).
/// </summary>
public sealed record CameraConfig
{
    public const int MaxNameLength = 256;

    public required string Id { get; init; }
    public required Portal Portal { get; init; }
    public required int Lane { get; init; }
    /// <summary>Free text from the maintainers (e.g. 北洞入口1车道 龙门架): untrusted, encode when shown.</summary>
    public string? Name { get; init; }
    /// <summary>Kept on record, but no broker login and no count towards the active camera of its lane.</summary>
    public bool Retired { get; init; }

    public static string DefaultId(string bore, Portal portal, int lane) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cam-{bore}-{TunnelJson.Name(portal)}-{lane}");
}

public static class Identifiers
{
    /// <summary>Site, bore and agent ids become MQTT topic levels and file names: keep them plain.</summary>
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
