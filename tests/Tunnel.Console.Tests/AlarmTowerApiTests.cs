using System.Net;
using System.Net.Http.Json;
using Tunnel.Central.Towers;
using Tunnel.Modbus.Tests;

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
        ]);
    }

    public async Task DisposeAsync()
    {
        await _console.DisposeAsync();
        await _device.DisposeAsync();
    }

    [Fact]
    public async Task Maintenance_sees_the_tower_and_its_lamp_test_lights_every_output_and_is_audited()
    {
        await _device.WaitUntilAsync(d => d.Writes.Count >= 2, "the tower's first round");
        using var maint = await _console.LoginAsync("maint");
        var tower = Assert.Single((await maint.GetFromJsonAsync<List<AlarmTowerStatus>>("/api/v1/alarm-towers"))!);
        Assert.Equal(("north-portal", $"127.0.0.1:{_device.Port}", true, 0), (tower.Id, tower.Endpoint, tower.Online, tower.OutputsLit));

        var test = await maint.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test", new { });

        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        await _device.WaitUntilAsync(d => d.Coil(0) && d.Coil(1), "every output on for the lamp test");
        Assert.Contains(_console.Store.ReadAudit(actor: "maint", subject: "alarm-tower:north-portal"), a => a.Action == "alarm-tower-tested");
        Assert.Equal(HttpStatusCode.NotFound, (await maint.PostAsJsonAsync("/api/v1/alarm-towers/nowhere/test", new { })).StatusCode);
    }

    [Fact]
    public async Task Operators_neither_see_nor_test_the_towers()
    {
        using var op = await _console.LoginAsync("op");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("/api/v1/alarm-towers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync("/api/v1/alarm-towers/north-portal/test", new { })).StatusCode);
        Assert.DoesNotContain(_device.Writes, w => w.EndsWith(" 1"));
    }
}
