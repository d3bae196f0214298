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
            }
        }
        return errors;
    }

    public BoreConfig? FindBore(string site, string bore) =>
        Sites.FirstOrDefault(s => s.Id == site)?.Bores.FirstOrDefault(b => b.Id == bore);

    public IEnumerable<(SiteConfig Site, BoreConfig Bore)> AllBores() =>
        Sites.SelectMany(s => s.Bores.Select(b => (s, b)));

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

    /// <summary>Transit time at the speed limit: the prior before real transits are seen.</summary>
    public TimeSpan NominalTransit => TimeSpan.FromSeconds(LengthMeters / (SpeedLimitKmh / 3.6));
}

public static class Identifiers
{
    /// <summary>Site, bore and agent ids become MQTT topic levels and file names: keep them plain.</summary>
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
