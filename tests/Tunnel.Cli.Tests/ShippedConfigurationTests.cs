using Microsoft.Extensions.Configuration;
using Tunnel.Central.Overdue;

namespace Tunnel.Cli.Tests;

public class ShippedConfigurationTests
{
    /// <summary>
    /// appsettings.json spells out the detector's levels so operators see what to tune, and the README's
    /// figures are measured with the code's defaults: the file must not say otherwise (it once kept the
    /// level of 9 after the defaults moved to 8.5).
    /// </summary>
    [Fact]
    public void The_detector_settings_shipped_in_appsettings_are_the_measured_defaults()
    {
        var shipped = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .Build()
            .GetSection("Tunnel:Detector");

        Assert.True(shipped.Exists(), "appsettings.json has no Tunnel:Detector section");
        Assert.Equal(new DetectorSettings(), shipped.Get<DetectorSettings>());
    }

    /// <summary>hardware/alarm-towers.example.json is what README tells a deployment to copy: it must bind and be accepted as it stands.</summary>
    [Fact]
    public void The_alarm_tower_example_binds_and_is_accepted_for_the_reference_sites()
    {
        var hardware = Path.Combine(RepositoryRoot(), "hardware");
        var settings = new ConfigurationBuilder().AddJsonFile(Path.Combine(hardware, "alarm-towers.example.json"), optional: false).Build()
            .GetSection("Tunnel").Get<Hosting.TunnelSettings>()!;

        Assert.Equal(["control-room", "north-entry-portal"], settings.AlarmTowers.Select(t => t.Id));
        Assert.Equal(Tunnel.Central.Towers.TowerSignal.Audible, settings.AlarmTowers[0].Outputs[2].Signal);
        Assert.Equal((ushort)2, settings.AlarmTowers[1].Outputs[0].OnValue);
        Assert.Empty(Tunnel.Central.Towers.AlarmTowerSettings.Problems(settings.AlarmTowers));
        Assert.Empty(Tunnel.Central.Towers.AlarmTowerSettings.SiteProblems(settings.AlarmTowers,
            Tunnel.Core.Contracts.SitesFile.Load(Path.Combine(hardware, "sites.maoliling.json"))));
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tunnel.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no Tunnel.sln above {AppContext.BaseDirectory}");
    }
}

public class ConfigurationProblemTests
{
    /// <summary>
    /// README's example once chose an eight-character admin password: the host started the broker and the store,
    /// then died with a stack trace. Now it refuses before anything starts, one line per key.
    /// </summary>
    [Fact]
    public async Task A_short_admin_password_or_an_unknown_time_zone_stops_the_start_before_anything_is_created()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tunnel-config-problem-" + Guid.NewGuid().ToString("N"));
        var configuration = Hosting.CentralHost.LoadConfiguration(new Dictionary<string, string?>
        {
            ["Tunnel:DataDirectory"] = dir,
            ["Tunnel:Console:AdminPassword"] = "pick-one",
            ["Tunnel:Console:TimeZone"] = "Mars/Olympus",
        });
        var logs = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var problem = await Assert.ThrowsAsync<Hosting.ConfigurationProblem>(() => Hosting.CentralHost.StartAsync(configuration, TimeProvider.System, logs));
        var lines = problem.Message.Split(Environment.NewLine);
        Assert.Equal(2, lines.Length);
        Assert.Contains("Tunnel:Console:AdminPassword has 8 characters", lines[0]);
        Assert.Contains("Tunnel:Console:TimeZone 'Mars/Olympus'", lines[1]);
        Assert.False(Directory.Exists(dir), "nothing is created for a start that is refused");
    }

    [Fact]
    public async Task A_broker_port_already_taken_is_one_line_that_names_the_key_not_a_stack_trace()
    {
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var dir = Path.Combine(Path.GetTempPath(), "tunnel-port-taken-" + Guid.NewGuid().ToString("N"));
        try
        {
            var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            var configuration = Hosting.CentralHost.LoadConfiguration(new Dictionary<string, string?>
            {
                ["Tunnel:DataDirectory"] = dir,
                ["Tunnel:Broker:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Tunnel:Console:Urls"] = "http://127.0.0.1:0",
            });
            var logs = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
            var problem = await Assert.ThrowsAsync<Hosting.ConfigurationProblem>(() => Hosting.CentralHost.StartAsync(configuration, TimeProvider.System, logs));
            Assert.Contains($"Tunnel:Broker:Port {port} on 127.0.0.1 is already in use", Assert.Single(problem.Message.Split(Environment.NewLine)));
        }
        finally
        {
            taken.Stop();
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
