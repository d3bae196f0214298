using Tunnel.Cli.Commands;
using Tunnel.Cli.Hosting;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Cli.Tests;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "tunnel-replay-" + Guid.NewGuid().ToString("N")));

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>
    /// `tunnel replay` weighs with the detector settings `tunnel central` would run with (appsettings.json and
    /// Tunnel__Detector__… variables), so a change can be measured on recorded traffic first; it once always used the defaults.
    /// </summary>
    [Fact]
    public void Replay_runs_with_the_configured_detector_settings()
    {
        var passages = new FileInfo(Path.Combine(_dir.FullName, "passages.jsonl"));
        var day = TrafficSimulator.Run(new SimulationOptions { Seed = 4, Duration = TimeSpan.FromHours(2), StopsPerBorePerDay = 80 });
        File.WriteAllLines(passages.FullName, day.Passages.Select(p => TunnelJson.Serialize(p.Passage)));

        var shipped = ReplayCommand.Run(CentralHost.LoadConfiguration(new Dictionary<string, string?>()), null, passages,
            new FileInfo(Path.Combine(_dir.FullName, "shipped.jsonl")), out var shippedDetector);
        var deaf = ReplayCommand.Run(CentralHost.LoadConfiguration(new Dictionary<string, string?>
        {
            ["Tunnel:Detector:AlarmLevel"] = "1000",
            ["Tunnel:Detector:HazmatAlarmLevel"] = "1000",
        }), null, passages, new FileInfo(Path.Combine(_dir.FullName, "deaf.jsonl")), out var deafDetector);

        Assert.Equal(8.5, shippedDetector.AlarmLevel);
        Assert.Equal(1000, deafDetector.AlarmLevel);
        Assert.Equal(shipped.Accepted, deaf.Accepted);
        Assert.True(shipped.OverdueAlarms > 0, "the simulated stops raise overdue alarms at the shipped levels");
        Assert.Equal(0, deaf.OverdueAlarms);
    }

    [Fact]
    public void The_sites_file_comes_from_the_option_before_the_configuration()
    {
        var passages = new FileInfo(Path.Combine(_dir.FullName, "none.jsonl"));
        File.WriteAllText(passages.FullName, "");
        var configured = new Dictionary<string, string?> { ["Tunnel:SitesFile"] = Path.Combine(_dir.FullName, "missing-sites.json") };

        // The configured file is read (and is missing) unless --sites names another.
        Assert.Throws<FileNotFoundException>(() => ReplayCommand.Run(CentralHost.LoadConfiguration(configured), null, passages,
            new FileInfo(Path.Combine(_dir.FullName, "a.jsonl")), out _));
        var sites = new FileInfo(Path.Combine(_dir.FullName, "sites.json"));
        File.WriteAllText(sites.FullName, """{"sites":[{"id":"s","name":"S","bores":[{"id":"b","lengthMeters":1000,"speedLimitKmh":60,"lanes":1}]}]}""");
        var summary = ReplayCommand.Run(CentralHost.LoadConfiguration(configured), sites, passages, new FileInfo(Path.Combine(_dir.FullName, "b.jsonl")), out _);
        Assert.Equal("b", Assert.Single(summary.Bores).Bore.Bore);
    }
}
