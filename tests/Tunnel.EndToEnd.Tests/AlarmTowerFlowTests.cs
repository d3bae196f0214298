using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Modbus.Tests;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>
/// From a stopped truck to a siren: `tunnel central` configured through its keys as a deployment would, a real
/// mosquitto, and Debian's pymodbus as the control room's alarm tower, across a restart of the service.
/// </summary>
public sealed class AlarmTowerFlowTests(ITestOutputHelper output)
{
    private static Dictionary<string, string?> WithTower(string dataDirectory, int port)
    {
        var settings = Hosts.Embedded(dataDirectory);
        // As appsettings.json or TUNNEL__ALARMTOWERS__0__... environment variables would give them.
        settings["Tunnel:AlarmTowers:0:Id"] = "control-room";
        settings["Tunnel:AlarmTowers:0:Host"] = "127.0.0.1";
        settings["Tunnel:AlarmTowers:0:Port"] = port.ToString(CultureInfo.InvariantCulture);
        settings["Tunnel:AlarmTowers:0:RefreshSeconds"] = "1";
        settings["Tunnel:AlarmTowers:0:Outputs:0:Signal"] = "active";
        settings["Tunnel:AlarmTowers:0:Outputs:0:Coil"] = "0";
        settings["Tunnel:AlarmTowers:0:Outputs:1:Signal"] = "audible";
        settings["Tunnel:AlarmTowers:0:Outputs:1:Coil"] = "1";
        settings["Tunnel:AlarmTowers:0:Outputs:2:Signal"] = "active";
        settings["Tunnel:AlarmTowers:0:Outputs:2:MinPriority"] = "critical";
        settings["Tunnel:AlarmTowers:0:Outputs:2:Register"] = "4";
        settings["Tunnel:AlarmTowers:0:Outputs:2:OnValue"] = "3";
        return settings;
    }

    [Fact]
    public async Task A_stopped_truck_lights_the_beacon_and_sounds_the_siren_until_acknowledged_even_across_a_restart()
    {
        using var dir = new TempDirectory();
        await using var device = await ModbusTestDevice.StartAsync();
        var clock = ManualClock.StartingNow();
        var settings = WithTower(dir.Path, device.Port);
        var host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output), clock);
        try
        {
            await device.WaitUntilAsync(d => d.Writes.Count >= 3, "the tower's first round");
            Assert.False(device.Coil(0) || device.Coil(1));
            using (var http = new HttpClient { BaseAddress = Hosts.HttpBase(host) })
            {
                // The tower's status is recorded after its round's last answer, which can follow the device's report.
                // Asked until healthy: an answer of 503 meanwhile (a turn of the loop held up on a loaded machine) is asked again, not a failure.
                var text = await Wait.UntilAsync(() => http.GetAsync("/healthz").GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult() is var h
                    && JsonDocument.Parse(h).RootElement.GetProperty("status").GetString() == "healthy" ? h : null, "/healthz healthy with the tower working");
                Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("alarmTowers").GetProperty("working").GetInt32());
                Assert.Contains("tunnel_alarm_tower_up{tower=\"control-room\"} 1", await http.GetStringAsync("/metrics"));
            }

            await using (var observer = await MqttPeer.ConnectAsync(host.BrokerHost, host.BrokerPort, EmbeddedBroker.CentralUser,
                             host.Credentials!.For(EmbeddedBroker.CentralUser), Topics.Alarms("maoliling")))
            await using (var entry = await TestAgent.ConnectAsync(host.BrokerHost, host.BrokerPort, host.Credentials.For, "north", Portal.Entry, 1))
            {
                var stopped = await entry.SendAsync(clock.GetUtcNow(), "浙J12345", VehicleClass.Truck);
                await entry.AckAsync(1);
                var raised = await AlarmTests.AdvanceUntilOverdueAsync(host, clock, observer, stopped);
                Assert.Equal(AlarmPriority.High, raised.Priority);
            }
            // The register is written after the coils in a round: wait for the round that sounded the siren to reach it.
            await device.WaitUntilAsync(d => d.Coil(0) && d.Writes.SkipWhile(w => w != "coil 1 1").Any(w => w.StartsWith("register 4 ")),
                "the beacon and the siren, then the critical pattern register");
            Assert.Equal(0, device.Register(4)); // a truck, not a hazmat tanker: the critical pattern stays off

            // The service restarts and the tower loses power meanwhile: the alarm is still open, so it is shown again.
            await host.DisposeAsync();
            await device.PowerCycleAsync();
            host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output), clock);
            await device.WaitUntilAsync(d => d.Coil(0) && d.Coil(1), "the beacon and the siren again after the restart");

            var open = Assert.Single(host.Service.Snapshot.OpenAlarms);
            await host.Service.AcknowledgeAsync(open.AlarmId, "operator-1", "on my way");
            await device.WaitUntilAsync(d => d.Coil(0) && !d.Coil(1), "the siren silenced, the beacon on");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_tower_settings_mistake_stops_the_start_with_one_line_naming_the_key()
    {
        using var dir = new TempDirectory();
        var settings = WithTower(dir.Path, 502);
        settings["Tunnel:AlarmTowers:0:Bore"] = "north";
        var problem = await Assert.ThrowsAsync<ConfigurationProblem>(() => Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output)));
        Assert.Equal("configuration: Tunnel:AlarmTowers:0:Bore needs a Site", problem.Message);
    }
}
