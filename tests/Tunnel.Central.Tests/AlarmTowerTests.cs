using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Central.Service;
using Tunnel.Central.Towers;
using Tunnel.Core.Contracts;
using Tunnel.Modbus.Tests;

namespace Tunnel.Central.Tests;

/// <summary>Beacons and sirens over Modbus TCP follow the open alarms: a real service, a real mosquitto, pymodbus as the tower.</summary>
public sealed class AlarmTowerTests
{
    private static readonly BoreKey North = new("maoliling", "north");

    private static AlarmView Alarm(AlarmState state, AlarmPriority priority, BoreKey? bore = null) =>
        new(Guid.NewGuid(), AlarmKind.Overdue, state, priority, bore ?? North, "浙J12345", DateTimeOffset.UnixEpoch, null, 1,
            VehicleClass.Truck, false, null, null);

    private static AlarmTowerSettings Tower(int port = 502, string? site = null, string? bore = null) => new()
    {
        Id = "control-room", Host = "127.0.0.1", Port = port, Site = site, Bore = bore, RefreshSeconds = 0.5,
        Outputs =
        [
            new TowerOutput { Signal = TowerSignal.Active, Coil = 0 },
            new TowerOutput { Signal = TowerSignal.Unacknowledged, Coil = 1 },
            new TowerOutput { Signal = TowerSignal.Audible, Coil = 2 },
            // A signal tower driven by a register: pattern 2 (red, flashing) for critical alarms only.
            new TowerOutput { Signal = TowerSignal.Active, MinPriority = AlarmPriority.Critical, Register = 3, OnValue = 2 },
        ],
    };

    private static bool[] Lit(AlarmTowerSettings settings, params AlarmView[] open) =>
        new AlarmTower(settings, () => open, TimeProvider.System, NullLogger.Instance).Desired(open, testing: null);

    [Fact]
    public void The_siren_calls_until_acknowledged_the_flashing_lamp_until_acknowledged_or_cleared_the_steady_lamp_while_active()
    {
        var tower = Tower();
        Assert.Equal([true, true, true, false], Lit(tower, Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.High)));
        Assert.Equal([true, false, false, false], Lit(tower, Alarm(AlarmState.ActiveAcknowledged, AlarmPriority.High)));
        Assert.Equal([false, true, false, false], Lit(tower, Alarm(AlarmState.ClearedUnacknowledged, AlarmPriority.High)));
        Assert.Equal([false, false, false, false], Lit(tower, Alarm(AlarmState.Shelved, AlarmPriority.Critical)));
        Assert.Equal([true, true, true, true], Lit(tower, Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.Critical)));
        Assert.Equal([false, false, false, false], Lit(tower));
    }

    [Fact]
    public void A_camera_offline_lights_the_lamps_but_does_not_sound_the_siren_unless_configured_to()
    {
        var tower = Tower();
        var medium = Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.Medium);
        Assert.Equal([true, true, false, false], Lit(tower, medium));
        tower.Outputs[2].MinPriority = AlarmPriority.Medium;
        Assert.Equal([true, true, true, false], Lit(tower, medium));
    }

    [Fact]
    public void A_tower_at_one_bores_portal_shows_only_that_bores_alarms()
    {
        var south = Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.High, new BoreKey("maoliling", "south"));
        Assert.Equal([false, false, false, false], Lit(Tower(site: "maoliling", bore: "north"), south));
        Assert.Equal([true, true, true, false], Lit(Tower(site: "maoliling"), south));
        Assert.Equal([true, true, true, false], Lit(Tower(), south));
    }

    [Fact]
    public void Settings_a_tower_cannot_work_with_are_refused_with_their_key()
    {
        var ok = Tower(site: "maoliling", bore: "north");
        var bad = new AlarmTowerSettings
        {
            Id = "a b\"", Host = "", Port = 0, Bore = "north", RefreshSeconds = 0,
            Outputs = [new TowerOutput { Signal = TowerSignal.Audible }, new TowerOutput { Coil = 1, Register = 1 }],
        };
        var twice = Tower(site: "maoliling", bore: "west");
        var elsewhere = Tower(site: "nowhere");
        elsewhere.Id = "elsewhere";

        Assert.Equal(
        [
            "Tunnel:AlarmTowers:1:Id 'a b\"' needs 1 to 64 letters, digits, '.', '_' or '-'",
            "Tunnel:AlarmTowers:1:Host is required",
            "Tunnel:AlarmTowers:1:Port 0 is not a TCP port",
            "Tunnel:AlarmTowers:1:RefreshSeconds 0 is outside 0.5..3600",
            "Tunnel:AlarmTowers:1:Bore needs a Site",
            "Tunnel:AlarmTowers:1:Outputs:0 needs either a Coil or a Register",
            "Tunnel:AlarmTowers:1:Outputs:1 needs either a Coil or a Register",
            "Tunnel:AlarmTowers:2:Id 'control-room' is used twice",
        ], AlarmTowerSettings.Problems([ok, bad, twice, elsewhere]));
        Assert.Equal(
        [
            "Tunnel:AlarmTowers:2:Bore 'west' is not a bore of maoliling",
            "Tunnel:AlarmTowers:3:Site 'nowhere' is not one of the sites",
        ], AlarmTowerSettings.SiteProblems([ok, bad, twice, elsewhere], SitesFile.Maoliling));
        Assert.Empty(AlarmTowerSettings.Problems([ok]));
        Assert.Empty(AlarmTowerSettings.SiteProblems([ok], SitesFile.Maoliling));
    }

    [Fact]
    public async Task Outputs_sharing_a_signal_towers_pattern_register_write_the_first_lit_ones_value()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        var settings = Tower(device.Port);
        // One pattern register: 3 (red, flashing) for critical alarms, before 1 (amber, steady) for any active one; 0 off.
        settings.Outputs = [
            new TowerOutput { Signal = TowerSignal.Active, MinPriority = AlarmPriority.Critical, Register = 5, OnValue = 3 },
            new TowerOutput { Signal = TowerSignal.Active, Register = 5, OnValue = 1 },
        ];
        var open = new List<AlarmView>();
        await using var tower = new AlarmTower(settings, () => open, TimeProvider.System, NullLogger.Instance);

        await tower.RoundAsync(CancellationToken.None);
        open.Add(Alarm(AlarmState.ActiveAcknowledged, AlarmPriority.High));
        await tower.RoundAsync(CancellationToken.None);
        open.Add(Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.Critical));
        await tower.RoundAsync(CancellationToken.None);

        // One write a round, not one per output: a register written twice a round would flicker.
        await device.WaitUntilAsync(d => d.Writes.Count == 3, "three rounds");
        Assert.Equal(["register 5 0", "register 5 1", "register 5 3"], device.Writes);
    }

    [Fact]
    public async Task An_output_the_module_does_not_have_is_reported_and_the_others_are_still_written()
    {
        await using var device = await ModbusTestDevice.StartAsync(size: 8);
        var settings = Tower(device.Port);
        settings.Outputs[1].Coil = 40; // a typo: the module has 8 outputs
        var open = new[] { Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.High) };
        await using var tower = new AlarmTower(settings, () => open, TimeProvider.System, NullLogger.Instance);

        await tower.RoundAsync(CancellationToken.None);

        await device.WaitUntilAsync(d => d.Coil(0) && d.Coil(2), "the steady lamp and the siren despite the missing output");
        Assert.True(tower.Status.Online);
        Assert.False(tower.Status.Working);
        Assert.Contains("coil 40", tower.Status.LastError);
        Assert.Contains("illegal data address", tower.Status.LastError);
    }

    [Fact]
    public async Task A_tower_follows_an_alarm_through_raise_acknowledge_and_close_and_a_power_cut()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        await using var live = await LiveCentral.StartAsync("maoliling-north-exit-1", _ => { });
        var settings = Tower(device.Port);
        settings.Outputs[2].MinPriority = AlarmPriority.Medium; // the agent-offline alarm below is medium
        await using var towers = new AlarmTowers([settings], live.Service, TimeProvider.System, NullLoggerFactory.Instance);
        towers.Start();
        await device.WaitUntilAsync(d => d.Writes.Count >= 4, "its first round");
        Assert.All(Enumerable.Range(0, 3), i => Assert.False(device.Coil(i)));

        await SendStatus(live, online: false);
        // The register is written after the coils in a round: wait for the round that lit the siren to reach it.
        await device.WaitUntilAsync(d => d.Coil(0) && d.Coil(1) && d.Writes.SkipWhile(w => w != "coil 2 1").Any(w => w.StartsWith("register 3 ")),
            "the alarm's lamps and siren, then the critical pattern register");
        Assert.Equal(0, device.Register(3)); // medium, not critical
        var alarm = Assert.Single(live.Service.Snapshot.OpenAlarms);

        await live.Service.AcknowledgeAsync(alarm.AlarmId, "operator", null);
        await device.WaitUntilAsync(d => d.Coil(0) && !d.Coil(1) && !d.Coil(2), "the siren silenced, the steady lamp still on");

        // A power cut at the tower: it comes back dark, and the next round lights it again.
        await device.PowerCycleAsync();
        await device.WaitUntilAsync(d => d.Coil(0), "the steady lamp lit again after the power cut");
        Assert.False(device.Coil(2));

        await SendStatus(live, online: true);
        await device.WaitUntilAsync(d => !d.Coil(0) && !d.Coil(1) && !d.Coil(2), "everything off once the alarm closed");
    }

    [Fact]
    public async Task A_lamp_test_lights_the_lamps_a_siren_test_the_sirens_then_both_give_them_back_to_the_alarms()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        var open = new[] { Alarm(AlarmState.ActiveAcknowledged, AlarmPriority.High) };
        await using var tower = new AlarmTower(Tower(device.Port), () => open, TimeProvider.System, NullLogger.Instance);
        await tower.RoundAsync(CancellationToken.None);
        await Rounds(device, 1);
        Assert.Equal([true, false, false], [device.Coil(0), device.Coil(1), device.Coil(2)]);

        tower.Test(TowerTest.Lamps, TimeSpan.FromMinutes(1));
        await tower.RoundAsync(CancellationToken.None);
        await Rounds(device, 2);
        // Every lamp, the siren left to the alarms (drivers at a portal would hear it).
        Assert.Equal([true, true, false], [device.Coil(0), device.Coil(1), device.Coil(2)]);
        Assert.Equal(2, device.Register(3));
        Assert.Equal(TowerTest.Lamps, tower.Status.Testing);

        tower.Test(TowerTest.Sirens, TimeSpan.FromMinutes(1));
        await tower.RoundAsync(CancellationToken.None);
        await Rounds(device, 3);
        Assert.Equal([true, false, true], [device.Coil(0), device.Coil(1), device.Coil(2)]);
        Assert.Equal(0, device.Register(3));

        tower.Test(TowerTest.Sirens, TimeSpan.Zero);
        var refresh = await tower.RoundAsync(CancellationToken.None);
        await Rounds(device, 4);
        Assert.Equal([true, false, false], [device.Coil(0), device.Coil(1), device.Coil(2)]);
        Assert.Null(tower.Status.Testing);
        Assert.Equal(TimeSpan.FromSeconds(0.5), refresh);
    }

    [Fact]
    public async Task A_tower_out_of_reach_says_why_backs_off_and_lights_up_once_it_is_back()
    {
        await using var device = await ModbusTestDevice.StartAsync();
        device.Kill();
        var open = new[] { Alarm(AlarmState.ActiveUnacknowledged, AlarmPriority.High) };
        await using var tower = new AlarmTower(Tower(device.Port), () => open, TimeProvider.System, NullLogger.Instance);

        var first = await tower.RoundAsync(CancellationToken.None);
        var second = await tower.RoundAsync(CancellationToken.None);
        Assert.False(tower.Status.Online);
        Assert.Contains($"127.0.0.1:{device.Port}", tower.Status.LastError);
        Assert.Equal(2, tower.Status.Failures);
        Assert.True(second > first, $"the pause grows: {first} then {second}");

        await device.PowerCycleAsync();
        var refresh = await tower.RoundAsync(CancellationToken.None);
        await Rounds(device, 1);
        Assert.True(tower.Status.Online);
        Assert.Null(tower.Status.LastError);
        Assert.Equal(3, tower.Status.OutputsLit);
        Assert.Equal([true, true, true], [device.Coil(0), device.Coil(1), device.Coil(2)]);
        Assert.Equal(TimeSpan.FromSeconds(0.5), refresh);
    }

    /// <summary>A round's answer can reach the test before the device's report of it: wait for the report.</summary>
    private static Task Rounds(ModbusTestDevice device, int rounds) =>
        device.WaitUntilAsync(d => d.Writes.Count >= 4 * rounds, $"{rounds} round(s) of 4 writes");

    private static Task SendStatus(LiveCentral live, bool online) =>
        live.Agent.PublishAsync(Topics.AgentStatus("maoliling", "maoliling-north-exit-1"),
            Encoding.UTF8.GetBytes(TunnelJson.Serialize(new AgentStatus
            {
                AgentId = "maoliling-north-exit-1", Online = online, Site = "maoliling", Bore = "north", Portal = Portal.Exit, Lane = 1,
                LastError = online ? null : "connection lost (last will)",
            })), qos: 1, retain: true).WaitAsync(LiveCentral.Deadline);
}
