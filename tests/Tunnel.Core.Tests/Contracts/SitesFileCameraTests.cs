using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Core.Schema;

namespace Tunnel.Core.Tests.Contracts;

/// <summary>Cameras as records of a bore: implicit when not listed, validated when they are.</summary>
public class SitesFileCameraTests
{
    private static SitesFile With(params CameraConfig[] cameras) => new()
    {
        Sites = [new SiteConfig { Id = "s", Bores = [new BoreConfig { Id = "north", LengthMeters = 1000, SpeedLimitKmh = 80, Lanes = 2, Cameras = cameras }] }],
    };

    private static CameraConfig Cam(string id, Portal portal, int lane, bool retired = false) =>
        new() { Id = id, Portal = portal, Lane = lane, Retired = retired };

    [Fact]
    public void A_bore_without_a_list_has_one_active_camera_per_portal_and_lane_with_the_default_id()
    {
        var north = SitesFile.Maoliling.FindBore("maoliling", "north")!;
        Assert.Null(north.Cameras);
        Assert.Equal(["cam-north-entry-1", "cam-north-entry-2", "cam-north-exit-1", "cam-north-exit-2"], north.EffectiveCameras().Select(c => c.Id));
        Assert.All(north.EffectiveCameras(), c => Assert.False(c.Retired));
        Assert.Equal([(Portal.Entry, 1), (Portal.Entry, 2), (Portal.Exit, 1), (Portal.Exit, 2)], north.EffectiveCameras().Select(c => (c.Portal, c.Lane)));
    }

    [Fact]
    public void A_sites_file_without_cameras_still_loads_and_stays_without_them_when_written()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"sites":[{"id":"s","bores":[{"id":"b","lengthMeters":500,"speedLimitKmh":60,"lanes":1}]}]}""");
            var bore = SitesFile.Load(path).FindBore("s", "b")!;
            Assert.Null(bore.Cameras);
            Assert.Equal(2, bore.EffectiveCameras().Count);
            Assert.DoesNotContain("cameras", TunnelJson.Serialize(SitesFile.Maoliling));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Listed_cameras_are_the_whole_list_and_round_trip_with_their_names()
    {
        var sites = With(Cam("cam-a", Portal.Entry, 1) with { Name = "北洞入口1车道 龙门架" }, Cam("cam-b", Portal.Exit, 2, retired: true));
        Assert.Empty(sites.Validate());
        var json = TunnelJson.Serialize(sites);
        Assert.Contains("\"portal\":\"exit\"", json);
        var back = JsonSerializer.Deserialize<SitesFile>(json, TunnelJson.Options)!.FindBore("s", "north")!;
        Assert.Equal(["cam-a", "cam-b"], back.EffectiveCameras().Select(c => c.Id));
        Assert.Equal("北洞入口1车道 龙门架", back.Cameras![0].Name);
        Assert.True(back.Cameras[1].Retired);
        using var document = JsonDocument.Parse(json);
        Assert.Empty(TunnelSchemas.Sites.Validate(document.RootElement));
    }

    [Theory]
    [InlineData("lane 3 must be 1 to 2", "cam-a", "entry", 3, false)]
    [InlineData("lane 0 must be 1 to 8", "cam-a", "entry", 0, true)]
    [InlineData("camera id 'Cam A' must be", "Cam A", "exit", 1, false)]
    public void A_camera_outside_the_bores_lanes_or_with_a_bad_id_is_refused(string why, string id, string portal, int lane, bool retired)
    {
        var errors = With(Cam(id, portal == "entry" ? Portal.Entry : Portal.Exit, lane, retired)).Validate();
        Assert.Contains(errors, e => e.StartsWith("bore 's/north': ", StringComparison.Ordinal) && e.Contains(why, StringComparison.Ordinal));
    }

    [Fact]
    public void A_retired_camera_may_keep_a_lane_since_taken_away()
    {
        Assert.Empty(With(Cam("cam-old", Portal.Entry, 5, retired: true)).Validate());
    }

    [Fact]
    public void Camera_ids_are_unique_in_a_bore_and_a_portal_lane_has_at_most_one_active_camera()
    {
        Assert.Contains("bore 's/north': camera 'cam-a' appears twice",
            With(Cam("cam-a", Portal.Entry, 1), Cam("cam-a", Portal.Entry, 2)).Validate());
        Assert.Contains("bore 's/north': entry lane 1 has 2 active cameras (cam-a, cam-b); at most one",
            With(Cam("cam-a", Portal.Entry, 1), Cam("cam-b", Portal.Entry, 1)).Validate());
        // A retired one beside its replacement is the usual history of a lane.
        Assert.Empty(With(Cam("cam-a", Portal.Entry, 1, retired: true), Cam("cam-b", Portal.Entry, 1), Cam("cam-c", Portal.Exit, 1)).Validate());
        Assert.Contains(With(Cam("cam-x", Portal.Exit, 1) with { Name = new string('x', 257) }).Validate(), e => e.Contains("name must be at most 256", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_bores_whose_cameras_would_share_an_agent_id_and_so_a_broker_login_are_refused()
    {
        static SiteConfig Site(string site, string bore) =>
            new() { Id = site, Bores = [new BoreConfig { Id = bore, LengthMeters = 1000, SpeedLimitKmh = 80, Lanes = 1 }] };
        // g15-north-2 + entry-1 either way.
        var sites = new SitesFile { Sites = [Site("g15", "north-2"), Site("g15-north", "2")] };
        Assert.Contains("agent id 'g15-north-2-entry-1' would serve bore 'g15/north-2' and bore 'g15-north/2': rename one of them", sites.Validate());
        Assert.Contains(sites.Validate(), e => e.StartsWith("agent id 'g15-north-2-exit-1'", StringComparison.Ordinal));
        // Told apart by one character, they are two agents.
        Assert.Empty(new SitesFile { Sites = [Site("g15", "north-2"), Site("g15-north", "3")] }.Validate());
        // A retired camera has no login: only one that is put back in service would share it.
        var retired = new SitesFile { Sites = [Site("g15", "north-2"), Site("g15-north", "2") with { Bores = [new BoreConfig { Id = "2", LengthMeters = 1000,
            SpeedLimitKmh = 80, Lanes = 1, Cameras = [Cam("cam-a", Portal.Entry, 1, retired: true), Cam("cam-b", Portal.Exit, 1, retired: true)] }] }] };
        Assert.Empty(retired.Validate());
    }

    [Fact]
    public void The_schema_checks_a_cameras_portal_and_lane()
    {
        using var document = JsonDocument.Parse("""
            {"sites":[{"id":"s","bores":[{"id":"n","lengthMeters":10,"speedLimitKmh":80,"lanes":1,
              "cameras":[{"id":"cam-1","portal":"middle","lane":9,"name":"x"},{"portal":"entry","lane":1}]}]}]}
            """);
        var errors = TunnelSchemas.Sites.Validate(document.RootElement);
        Assert.Equal(["/sites/0/bores/0/cameras/0/portal", "/sites/0/bores/0/cameras/0/lane", "/sites/0/bores/0/cameras/1/id"], errors.Select(e => e.Path));
    }
}
