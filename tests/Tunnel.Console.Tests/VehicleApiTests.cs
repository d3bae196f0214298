using System.Net;
using System.Net.Http.Json;
using Tunnel.Core.Contracts;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

public sealed class VehicleApiTests(TestServerFixture fixture) : IClassFixture<TestServerFixture>
{
    private ConsoleHost Host => fixture.Host;

    private async Task<Passage> PublishWithSnapshotAsync(string plate, string bore = "north", TimeSpan ago = default)
    {
        var passage = await Host.PublishAsync(plate, bore: bore, ago: ago, snapshot: ConsoleHost.Jpeg);
        await Host.UntilAsync(_ => Host.Store.GetPassage(passage.EventId) is not null && Host.Snapshots.Load(passage.EventId) is not null ? passage : null);
        return passage;
    }

    [Fact]
    public async Task A_snapshot_is_served_as_jpeg_never_cached_and_every_look_is_audited()
    {
        var passage = await PublishWithSnapshotAsync("浙A10001");
        using var op = await Host.LoginAsync("op");
        var response = await op.GetAsync($"/api/v1/snapshots/{passage.EventId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal(ConsoleHost.Jpeg, await response.Content.ReadAsByteArrayAsync());
        await op.GetAsync($"/api/v1/snapshots/{passage.EventId}");
        Assert.Equal(2, Host.Store.ReadAudit(actor: "op", subject: "passage:" + passage.EventId).Count(a => a.Action == "view-snapshot"));

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/v1/snapshots/{Guid.NewGuid()}")).StatusCode);
    }

    [Theory]
    [InlineData("boss", HttpStatusCode.Forbidden)]
    [InlineData("maint", HttpStatusCode.Forbidden)]
    [InlineData("boss-plates", HttpStatusCode.OK)]
    public async Task Only_roles_that_may_see_plates_get_a_snapshot(string user, HttpStatusCode expected)
    {
        var passage = await PublishWithSnapshotAsync("浙A10002");
        using var client = await Host.LoginAsync(user);
        Assert.Equal(expected, (await client.GetAsync($"/api/v1/snapshots/{passage.EventId}")).StatusCode);
    }

    [Fact]
    public async Task Recent_passages_of_a_bore_link_snapshots_only_for_viewers_who_see_plates()
    {
        var passage = await PublishWithSnapshotAsync("浙A10003", bore: "south");
        using var op = await Host.LoginAsync("op");
        var seen = await op.GetFromJsonAsync<List<PassageDto>>("/api/v1/bores/maoliling/south/passages?limit=5");
        var mine = Assert.Single(seen!, p => p.EventId == passage.EventId);
        Assert.Equal("浙A10003", mine.Plate);
        Assert.Equal($"/api/v1/snapshots/{passage.EventId}", mine.SnapshotUrl);
        Assert.Equal("entry", mine.Portal);

        using var boss = await Host.LoginAsync("boss");
        var masked = (await boss.GetFromJsonAsync<List<PassageDto>>("/api/v1/bores/maoliling/south/passages?limit=5"))!.Single(p => p.EventId == passage.EventId);
        Assert.Equal("浙A1***3", masked.Plate);
        Assert.Null(masked.SnapshotUrl);
        // Plates of many vehicles at once: the operator's look is recorded, the manager's masked one is not; and a
        // wall asking again at every passage makes one entry per user and bore every ten minutes, not one per ask.
        await op.GetFromJsonAsync<List<PassageDto>>("/api/v1/bores/maoliling/south/passages?limit=5");
        Assert.Single(Host.Store.ReadAudit(actor: "op"), a => a.Action == "view-recent-passages" && a.Subject == "bore:maoliling/south");
        Assert.DoesNotContain(Host.Store.ReadAudit(actor: "boss"), a => a.Action == "view-recent-passages");
    }

    [Fact]
    public async Task An_alarms_vehicle_shows_its_entry_snapshot_and_history_by_plate_and_the_look_is_audited()
    {
        const string plate = "浙A10004";
        // An earlier trip through the south bore, then the one that stops.
        var earlier = await PublishWithSnapshotAsync(plate, bore: "south", ago: TimeSpan.FromMinutes(50));
        var raised = Host.NextAlarmAsync(t => t.Plate == plate && t.Bore == "north" && t.State == AlarmState.ActiveUnacknowledged);
        var entry = await Host.PublishAsync(plate, ago: TimeSpan.FromMinutes(20), snapshot: ConsoleHost.Jpeg);
        var alarm = await raised;

        using var op = await Host.LoginAsync("op");
        var vehicle = await op.GetFromJsonAsync<VehicleHistory>($"/api/v1/alarms/{alarm.AlarmId}/vehicle");
        Assert.Equal(plate, vehicle!.Plate);
        Assert.Equal(entry.EventId, vehicle.Entry!.EventId);
        Assert.Equal($"/api/v1/snapshots/{entry.EventId}", vehicle.Entry.SnapshotUrl);
        Assert.Equal([entry.EventId, earlier.EventId], vehicle.Passages.Select(p => p.EventId));
        Assert.Contains(vehicle.Alarms, a => a.AlarmId == alarm.AlarmId && a.Kind == "overdue");
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(vehicle.Entry.SnapshotUrl)).StatusCode);

        var audit = Host.Store.ReadAudit(actor: "op", subject: "alarm:" + alarm.AlarmId);
        Assert.Contains(audit, a => a.Action == "view-vehicle-history");
        Assert.DoesNotContain(Host.Store.ReadAudit(), a => a.Subject.Contains(plate) || (a.Detail ?? "").Contains(plate));

        using var boss = await Host.LoginAsync("boss");
        Assert.Equal(HttpStatusCode.Forbidden, (await boss.GetAsync($"/api/v1/alarms/{alarm.AlarmId}/vehicle")).StatusCode);
        using var granted = await Host.LoginAsync("boss-plates");
        Assert.Equal(HttpStatusCode.OK, (await granted.GetAsync($"/api/v1/alarms/{alarm.AlarmId}/vehicle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/v1/alarms/{Guid.NewGuid()}/vehicle")).StatusCode);
    }
}
