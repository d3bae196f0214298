using System.Net;
using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

/// <summary>Cameras as records: added, renamed, retired and re-activated through the sites edit path; its own host.</summary>
public sealed class CameraApiTests(CameraApiTests.Host fixture) : IClassFixture<CameraApiTests.Host>
{
    public sealed class Host : IAsyncLifetime
    {
        public ConsoleHost Console { get; private set; } = null!;
        public async Task InitializeAsync() => Console = await ConsoleHost.StartAsync(kestrel: false);
        public async Task DisposeAsync() => await Console.DisposeAsync();
    }

    private ConsoleHost Console => fixture.Console;

    private static async Task<SitesProblem> ProblemOf(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<SitesProblem>())!;

    private static string Cameras(string site, string bore) => $"/api/v1/sites/{site}/bores/{bore}/cameras";

    private async Task<HttpClient> NewBoreAsync(string bore, int lanes)
    {
        var maint = await Console.LoginAsync("maint");
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores", new BoreRequest(bore, 2000, 80, lanes))).StatusCode);
        return maint;
    }

    [Fact]
    public async Task A_bore_lists_its_implicit_cameras_until_one_is_edited()
    {
        using var maint = await Console.LoginAsync("maint");
        var view = await maint.GetFromJsonAsync<SitesView>("/api/v1/sites");
        var south = view!.Sites.Single(s => s.Id == "maoliling").Bores.Single(b => b.Id == "south");
        Assert.Equal(
            [new CameraSetup("cam-south-entry-1", "entry", 1, null, false, "maoliling-south-entry-1"), new CameraSetup("cam-south-entry-2", "entry", 2, null, false, "maoliling-south-entry-2"),
             new CameraSetup("cam-south-exit-1", "exit", 1, null, false, "maoliling-south-exit-1"), new CameraSetup("cam-south-exit-2", "exit", 2, null, false, "maoliling-south-exit-2")],
            south.Cameras);
        using var op = await Console.LoginAsync("op");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync(Cameras("maoliling", "south") + "/cam-south-exit-1/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync(Cameras("maoliling", "south"), new CameraRequest(null, "exit", 1, "x"))).StatusCode);
    }

    [Fact]
    public async Task A_camera_is_retired_replaced_renamed_and_re_activated_each_stored_audited_and_handed_to_the_broker_hook()
    {
        using var maint = await NewBoreAsync("cams", 2);

        var retire = await maint.PostAsJsonAsync(Cameras("maoliling", "cams") + "/cam-cams-entry-1/retire", new { });
        Assert.Equal(HttpStatusCode.OK, retire.StatusCode);
        var bore = (await retire.Content.ReadFromJsonAsync<SitesView>())!.Sites[0].Bores.Single(b => b.Id == "cams");
        Assert.Equal(["maoliling-cams-entry-2", "maoliling-cams-exit-1", "maoliling-cams-exit-2"], bore.Agents);
        Assert.True(bore.Cameras.Single(c => c.Id == "cam-cams-entry-1").Retired);
        Assert.Equal(4, bore.Cameras.Count);
        Assert.Contains("\"cam-cams-entry-1\"", Console.Store.LoadConfig("sites"));
        Assert.Contains(Console.SitesChanges, s => s.FindBore("maoliling", "cams")?.Cameras?.SingleOrDefault(c => c.Id == "cam-cams-entry-1") is { Retired: true });

        const string Name = "北洞入口1车道 龙门架 <script>alert(1)</script>";
        var add = await maint.PostAsJsonAsync(Cameras("maoliling", "cams"), new CameraRequest("cam-cams-entry-1b", "entry", 1, Name));
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        bore = (await add.Content.ReadFromJsonAsync<SitesView>())!.Sites[0].Bores.Single(b => b.Id == "cams");
        Assert.Equal(new CameraSetup("cam-cams-entry-1b", "entry", 1, Name, false, "maoliling-cams-entry-1"), bore.Cameras.Single(c => c.Id == "cam-cams-entry-1b"));
        Assert.Contains("maoliling-cams-entry-1", bore.Agents);

        // The old camera cannot come back while its replacement films the lane; nothing changes.
        var before = Console.Service.Sites;
        var clash = await maint.PostAsJsonAsync(Cameras("maoliling", "cams") + "/cam-cams-entry-1/activate", new { });
        Assert.Equal(HttpStatusCode.BadRequest, clash.StatusCode);
        Assert.Equal("bore 'maoliling/cams': entry lane 1 has 2 active cameras (cam-cams-entry-1, cam-cams-entry-1b); at most one", (await ProblemOf(clash)).Message);
        Assert.Same(before, Console.Service.Sites);

        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "cams") + "/cam-cams-entry-1b", new CameraRename("  龙门架 B  "))).StatusCode);
        Assert.Equal("龙门架 B", Console.Service.Sites.FindBore("maoliling", "cams")!.Cameras!.Single(c => c.Id == "cam-cams-entry-1b").Name);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "cams") + "/cam-cams-entry-1b/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "cams") + "/cam-cams-entry-1/activate", new { })).StatusCode);
        var cameras = Console.Service.Sites.FindBore("maoliling", "cams")!.EffectiveCameras();
        Assert.False(cameras.Single(c => c.Id == "cam-cams-entry-1").Retired);
        Assert.True(cameras.Single(c => c.Id == "cam-cams-entry-1b").Retired);

        Assert.Equal(["camera-activated", "camera-retired"], Console.Store.ReadAudit(actor: "maint", subject: "camera:maoliling/cams/cam-cams-entry-1").Select(a => a.Action));
        Assert.Equal(["camera-retired", "camera-renamed", "camera-created"], Console.Store.ReadAudit(actor: "maint", subject: "camera:maoliling/cams/cam-cams-entry-1b").Select(a => a.Action));
    }

    [Theory]
    [InlineData(null, "entry", 2, HttpStatusCode.BadRequest, "bore 'maoliling/taken': entry lane 2 has 2 active cameras (cam-taken-entry-2, cam-taken-entry-2-1); at most one")]
    [InlineData("cam-x", "exit", 3, HttpStatusCode.BadRequest, "bore 'maoliling/taken': camera 'cam-x' lane 3 must be 1 to 2")]
    [InlineData("Cam X!", "exit", 3, HttpStatusCode.BadRequest, "camera id 'Cam X!' must be 1-64 of a-z 0-9 - _")]
    [InlineData("cam-x", "middle", 1, HttpStatusCode.BadRequest, "portal 'middle' must be entry or exit")]
    [InlineData("cam-taken-exit-1", "exit", 1, HttpStatusCode.Conflict, "camera 'maoliling/taken/cam-taken-exit-1' exists")]
    public async Task A_camera_that_would_break_the_rules_is_refused_with_a_clear_error_and_changes_nothing(string? id, string portal, int lane, HttpStatusCode status, string why)
    {
        using var maint = await Console.LoginAsync("maint");
        if (Console.Service.Sites.FindBore("maoliling", "taken") is null)
            Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores", new BoreRequest("taken", 2000, 80, 2))).StatusCode);
        var before = Console.Service.Sites;
        var response = await maint.PostAsJsonAsync(Cameras("maoliling", "taken"), new CameraRequest(id ?? "cam-taken-entry-2-1", portal, lane, null));
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(why, (await ProblemOf(response)).Message);
        Assert.Same(before, Console.Service.Sites);
    }

    [Fact]
    public async Task An_unknown_camera_or_bore_is_not_found()
    {
        using var maint = await Console.LoginAsync("maint");
        Assert.Equal(HttpStatusCode.NotFound, (await maint.PostAsJsonAsync(Cameras("maoliling", "north") + "/cam-nowhere/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await maint.PostAsJsonAsync(Cameras("maoliling", "nowhere"), new CameraRequest(null, "entry", 1, null))).StatusCode);
    }

    [Fact]
    public async Task A_widened_bore_gets_cameras_for_its_new_lane_and_is_not_narrowed_under_an_active_camera()
    {
        using var maint = await NewBoreAsync("wide", 1);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "wide") + "/cam-wide-exit-1/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/wide", new BoreEdit(2000, 80, 2))).StatusCode);
        var cameras = Console.Service.Sites.FindBore("maoliling", "wide")!.Cameras!;
        Assert.Equal(["cam-wide-entry-1", "cam-wide-exit-1", "cam-wide-entry-2", "cam-wide-exit-2"], cameras.Select(c => c.Id));
        Assert.Equal([false, true, false, false], cameras.Select(c => c.Retired));

        var narrow = await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/wide", new BoreEdit(2000, 80, 1));
        Assert.Equal(HttpStatusCode.BadRequest, narrow.StatusCode);
        Assert.Contains("camera 'cam-wide-entry-2' lane 2 must be 1 to 1", (await ProblemOf(narrow)).Message);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "wide") + "/cam-wide-entry-2/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync(Cameras("maoliling", "wide") + "/cam-wide-exit-2/retire", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/wide", new BoreEdit(2000, 80, 1))).StatusCode);
        Assert.Equal(4, Console.Service.Sites.FindBore("maoliling", "wide")!.Cameras!.Count);
    }
}
