using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// A sites edit names the cameras it put into service or took out of it, and the agent list says since when the console has had
/// each camera in service; read as plain JSON, as the page reads it. Its own host, since every test here changes the sites.
/// </summary>
public sealed class MaintenanceReviewApiTests(MaintenanceReviewApiTests.Host fixture) : IClassFixture<MaintenanceReviewApiTests.Host>
{
    public sealed class Host : IAsyncLifetime
    {
        public ConsoleHost Console { get; private set; } = null!;
        public async Task InitializeAsync() => Console = await ConsoleHost.StartAsync(kestrel: false);
        public async Task DisposeAsync() => await Console.DisposeAsync();
    }

    private ConsoleHost Console => fixture.Console;

    private static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static string[] Ids(JsonNode? list) => list?.AsArray().Select(c => $"{c!["bore"]}/{c["id"]}@{c["agentId"]}").Order().ToArray() ?? [];

    private static async Task<JsonNode> AgentAsync(HttpClient client, string agentId) =>
        (await OkJsonAsync(await client.GetAsync("/api/v1/agents"))).AsArray().Single(a => (string?)a!["agentId"] == agentId)!;

    private static DateTimeOffset? ActiveSince(JsonNode agent) => agent["activeSince"]?.GetValue<DateTimeOffset>();

    [Fact]
    public async Task Widening_a_bore_names_the_cameras_it_adds_and_dates_them_and_narrowing_it_names_those_it_takes_away()
    {
        using var maint = await Console.LoginAsync("maint");
        var before = DateTimeOffset.UtcNow;
        var widened = await OkJsonAsync(await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/north", new BoreEdit(3600, 80, 3)));
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(["north/cam-north-entry-3@maoliling-north-entry-3", "north/cam-north-exit-3@maoliling-north-exit-3"], Ids(widened["camerasAdded"]));
        Assert.Empty(Ids(widened["camerasRetired"]));
        var entry3 = widened["camerasAdded"]!.AsArray().Single(c => (string?)c!["id"] == "cam-north-entry-3")!;
        Assert.Equal(("maoliling", "猫狸岭隧道", "entry", 3), ((string?)entry3["site"], (string?)entry3["siteName"], (string?)entry3["portal"], (int?)entry3["lane"]));

        // The agent of the new lane is expected at once, dated; the cameras the console found in service have no date.
        Assert.InRange(ActiveSince(await AgentAsync(maint, "maoliling-north-entry-3"))!.Value, before, after);
        Assert.InRange(ActiveSince(await AgentAsync(maint, "maoliling-north-exit-3"))!.Value, before, after);
        Assert.Null(ActiveSince(await AgentAsync(maint, "maoliling-north-entry-1")));

        var narrowed = await OkJsonAsync(await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/north", new BoreEdit(3600, 80, 2)));
        Assert.Equal(["north/cam-north-entry-3@maoliling-north-entry-3", "north/cam-north-exit-3@maoliling-north-exit-3"], Ids(narrowed["camerasRetired"]));
        Assert.Empty(Ids(narrowed["camerasAdded"]));
        // A sites view that changed no camera says so with empty lists, and so does the plain list of the sites.
        var unchanged = await OkJsonAsync(await maint.PostAsJsonAsync("/api/v1/sites/maoliling/bores/north", new BoreEdit(3600, 80, 2)));
        Assert.Equal((0, 0), (unchanged["camerasAdded"]!.AsArray().Count, unchanged["camerasRetired"]!.AsArray().Count));
        var listed = await OkJsonAsync(await maint.GetAsync("/api/v1/sites"));
        Assert.Equal((0, 0), (listed["camerasAdded"]!.AsArray().Count, listed["camerasRetired"]!.AsArray().Count));
    }

    [Fact]
    public async Task A_camera_added_retired_and_re_activated_is_named_each_time_and_dated_from_its_latest_return_to_service()
    {
        using var maint = await Console.LoginAsync("maint");
        const string Cameras = "/api/v1/sites/maoliling/bores/south/cameras";
        var retired = await OkJsonAsync(await maint.PostAsJsonAsync(Cameras + "/cam-south-exit-2/retire", new { }));
        Assert.Equal(["south/cam-south-exit-2@maoliling-south-exit-2"], Ids(retired["camerasRetired"]));

        var added = await OkJsonAsync(await maint.PostAsJsonAsync(Cameras, new CameraRequest("cam-south-exit-2b", "exit", 2, "南洞出口 2 车道")));
        Assert.Equal(["south/cam-south-exit-2b@maoliling-south-exit-2"], Ids(added["camerasAdded"]));
        Assert.Equal("南洞出口 2 车道", (string?)added["camerasAdded"]![0]!["name"]);
        var firstDate = ActiveSince(await AgentAsync(maint, "maoliling-south-exit-2"));
        Assert.NotNull(firstDate);

        // Swapped back: the old camera's return is dated anew, the replacement named as taken out.
        await OkJsonAsync(await maint.PostAsJsonAsync(Cameras + "/cam-south-exit-2b/retire", new { }));
        var back = await OkJsonAsync(await maint.PostAsJsonAsync(Cameras + "/cam-south-exit-2/activate", new { }));
        Assert.Equal(["south/cam-south-exit-2@maoliling-south-exit-2"], Ids(back["camerasAdded"]));
        Assert.True(ActiveSince(await AgentAsync(maint, "maoliling-south-exit-2")) >= firstDate);

        // Dated in the store, so a restart keeps them; only cameras in service keep a date.
        var stored = JsonNode.Parse(Console.Store.LoadConfig("camera-activations")!)!.AsObject();
        Assert.Contains("maoliling/south/cam-south-exit-2", stored.Select(d => d.Key));
        Assert.DoesNotContain("maoliling/south/cam-south-exit-2b", stored.Select(d => d.Key));
    }

    [Fact]
    public async Task The_agent_list_tells_every_reader_whether_the_latest_passage_has_a_snapshot_and_links_it_only_for_the_plates_grant()
    {
        var shot = await Console.PublishAsync("浙B54321", Portal.Entry, lane: 1, snapshot: ConsoleHost.Jpeg);
        var none = await Console.PublishAsync("浙B54322", Portal.Exit, lane: 1);
        await Console.UntilAsync(_ => Console.Store.GetPassage(shot.EventId));
        await Console.UntilAsync(_ => Console.Store.GetPassage(none.EventId));

        static (bool?, string?) Snapshot(JsonNode agent) => ((bool?)agent["latestPassageHasSnapshot"], (string?)agent["latestSnapshotUrl"]);
        using var maint = await Console.LoginAsync("maint");
        Assert.Equal((true, null), Snapshot(await AgentAsync(maint, "maoliling-north-entry-1")));
        Assert.Equal((false, null), Snapshot(await AgentAsync(maint, "maoliling-north-exit-1")));
        using var admin = await Console.LoginAsync("admin", ConsoleHost.AdminPassword);
        Assert.Equal((true, $"/api/v1/snapshots/{shot.EventId}"), Snapshot(await AgentAsync(admin, "maoliling-north-entry-1")));
        Assert.Equal((false, null), Snapshot(await AgentAsync(admin, "maoliling-north-exit-1")));
    }
}
