using System.Net;
using System.Net.Http.Json;
using Tunnel.Central.Towers;
using Tunnel.Modbus.Tests;
using Tunnel.WebConsole.Api;

namespace Tunnel.WebConsole.Tests;

/// <summary>Maintenance sees the alarm towers and runs a lamp test from the console; the tower is pymodbus, for real.</summary>
public sealed class AlarmTowerApiTests : IAsyncLifetime
{
    private ModbusTestDevice _device = null!;
    private ConsoleHost _console = null!;

    public async Task InitializeAsync()
    {
        _device = await ModbusTestDevice.StartAsync();
        _console = await ConsoleHost.StartAsync(kestrel: false,
        [
            new AlarmTowerSettings
            {
                Id = "north-portal", Host = "127.0.0.1", Port = _device.Port, Site = "maoliling", Bore = "north",
                Outputs = [new TowerOutput { Signal = TowerSignal.Active, Coil = 0 }, new TowerOutput { Signal = TowerSignal.Audible, Coil = 1 }],
            },
            // Nothing listens on port 1 of this machine: a tower out of reach.
            new AlarmTowerSettings { Id = "unplugged", Host = "127.0.0.1", Port = 1, Outputs = [new TowerOutput { Coil = 0 }] },
            // Reachable, but for a bore that is not there (retired in the console since, say): it could never light.
            new AlarmTowerSettings { Id = "west-portal", Host = "127.0.0.1", Port = _device.Port, Site = "maoliling", Bore = "west", Outputs = [new TowerOutput { Coil = 5 }] },
        ]);
    }

    public async Task DisposeAsync()
    {
        await _console.DisposeAsync();
        await _device.DisposeAsync();
    }

    /// <summary>The tower's status is recorded after its round's last answer, which can come after the device reports the write.</summary>
    private async Task<AlarmTowerView> TowerAsync(HttpClient client, string id, Func<AlarmTowerView, bool> until)
    {
        using var limit = new CancellationTokenSource(ModbusTestDevice.WaitLimit);
        while (true)
        {
            var tower = (await client.GetFromJsonAsync<List<AlarmTowerView>>("/api/v1/alarm-towers", limit.Token))!.Single(t => t.Id == id);
            if (until(tower)) return tower;
            await Task.Delay(20, limit.Token); // the poll interval; the condition decides
        }
    }

    [Fact]
    public async Task Maintenance_sees_the_towers_and_a_lamp_test_lights_the_lamps_not_the_siren_and_is_audited()
    {
        using var maint = await _console.LoginAsync("maint");
        var tower = await TowerAsync(maint, "north-portal", t => t.Online);
        Assert.Equal(($"127.0.0.1:{_device.Port}", true, 0), (tower.Endpoint, tower.Working, tower.OutputsLit));
        var unplugged = await TowerAsync(maint, "unplugged", t => t.Failures > 0);
        Assert.False(unplugged.Online);
        Assert.Contains("127.0.0.1:1", unplugged.LastError);

        var test = await maint.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test", new { });

        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        await _device.WaitUntilAsync(d => d.Coil(0), "the lamp on for the test");
        Assert.False(_device.Coil(1));
        Assert.Equal("lamps", (await TowerAsync(maint, "north-portal", t => t.Testing is not null)).Testing);
        Assert.Contains(_console.Store.ReadAudit(actor: "maint", subject: "alarm-tower:north-portal"), a => a.Action == "alarm-tower-tested" && a.Detail!.StartsWith("lamps"));

        Assert.Equal(HttpStatusCode.OK, (await maint.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test?kind=sirens", new { })).StatusCode);
        await _device.WaitUntilAsync(d => d.Coil(1), "the siren on for its test");
        Assert.Equal(HttpStatusCode.NotFound, (await maint.PostAsJsonAsync("/api/v1/alarm-towers/nowhere/test", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await maint.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test?kind=horn", new { })).StatusCode);
    }

    [Fact]
    public async Task A_tower_for_a_bore_that_is_not_there_is_reachable_but_not_working_and_says_why()
    {
        using var maint = await _console.LoginAsync("maint");
        var west = await TowerAsync(maint, "west-portal", t => t.Online);
        Assert.False(west.Working);
        Assert.Equal("Bore 'west' is not a bore of maoliling", west.LastError);
    }

    [Fact]
    public async Task A_test_of_a_tower_out_of_reach_is_refused_with_why_and_not_audited()
    {
        using var maint = await _console.LoginAsync("maint");
        await TowerAsync(maint, "unplugged", t => t.Failures > 0);

        var test = await maint.PostAsJsonAsync("/api/v1/alarm-towers/unplugged/test", new { });

        Assert.Equal(HttpStatusCode.Conflict, test.StatusCode);
        Assert.Contains("out of reach", await test.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_console.Store.ReadAudit(subject: "alarm-tower:unplugged"), a => a.Action == "alarm-tower-tested");
    }

    [Fact]
    public async Task Operators_hear_which_towers_cannot_show_every_alarm_but_not_why()
    {
        using var maint = await _console.LoginAsync("maint");
        await TowerAsync(maint, "unplugged", t => t.Failures > 0);
        await TowerAsync(maint, "west-portal", t => t.Online);
        await TowerAsync(maint, "north-portal", t => t.Online);
        using var op = await _console.LoginAsync("op");

        var down = await op.GetFromJsonAsync<List<string>>("/api/v1/alarm-towers/not-working");

        Assert.Equal(["unplugged", "west-portal"], down);
    }

    [Fact]
    public async Task Operators_neither_see_nor_test_the_towers()
    {
        using var op = await _console.LoginAsync("op");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("/api/v1/alarm-towers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test", new { })).StatusCode);
        Assert.Empty(_console.Store.ReadAudit(subject: "alarm-tower:north-portal"));
    }
}
