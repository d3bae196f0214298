using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Storage;

namespace Tunnel.WebConsole.Api;

/// <summary>A camera an edit put into service or took out of it; <see cref="AgentId"/> is the broker login of its lane.</summary>
public sealed record CameraChange(string Site, string? SiteName, string Bore, string Id, string Portal, int Lane, string? Name, string AgentId);

/// <summary>
/// Which cameras a sites edit put into service and which it took out: an edit of a bore's lanes, a new bore or a
/// retired site changes cameras too, and whoever saved it is told which, not only that it applied.
/// </summary>
internal static class CameraChanges
{
    public static (IReadOnlyList<CameraChange> Added, IReadOnlyList<CameraChange> Retired) Between(SitesFile before, SitesFile after)
    {
        var was = Active(before);
        var now = Active(after);
        return (now.Where(c => !was.ContainsKey(c.Key)).Select(c => c.Value).ToList(),
            was.Where(c => !now.ContainsKey(c.Key)).Select(c => c.Value).ToList());
    }

    private static Dictionary<string, CameraChange> Active(SitesFile sites) =>
        sites.ActiveCameraAgents().ToDictionary(x => Key(x.Site.Id, x.Bore.Id, x.Camera.Id), x => new CameraChange(x.Site.Id, x.Site.Name, x.Bore.Id,
            x.Camera.Id, TunnelJson.Name(x.Camera.Portal), x.Camera.Lane, x.Camera.Name, x.AgentId), StringComparer.Ordinal);

    /// <summary>Camera ids are unique within their bore only.</summary>
    public static string Key(string site, string bore, string camera) => $"{site}/{bore}/{camera}";
}

/// <summary>
/// When each camera went into service through the console (added, activated, or a lane added to its bore), kept in the
/// store beside the sites: the sites file a deployment names replaces the sites at a restart, and a camera an hour old
/// is not yet blind for having seen nothing. Cameras the console never put into service have no date.
/// </summary>
internal static class CameraActivations
{
    private const string ConfigKey = "camera-activations";

    public static IReadOnlyDictionary<string, DateTimeOffset> Read(TunnelStore store) =>
        store.LoadConfig(ConfigKey) is { } json
            ? JsonSerializer.Deserialize<Dictionary<string, DateTimeOffset>>(json) ?? []
            : new Dictionary<string, DateTimeOffset>();

    /// <summary>Dates the cameras just put into service; only cameras still active keep theirs (one re-activated later gets a new one).</summary>
    public static void Record(TunnelStore store, SitesFile sites, IReadOnlyList<CameraChange> added, DateTimeOffset now)
    {
        var active = sites.ActiveCameraAgents().Select(x => CameraChanges.Key(x.Site.Id, x.Bore.Id, x.Camera.Id)).ToHashSet(StringComparer.Ordinal);
        var kept = Read(store).Where(d => active.Contains(d.Key)).ToDictionary(StringComparer.Ordinal);
        foreach (var camera in added) kept[CameraChanges.Key(camera.Site, camera.Bore, camera.Id)] = now;
        store.SaveConfig(ConfigKey, JsonSerializer.Serialize(kept), now);
    }
}
