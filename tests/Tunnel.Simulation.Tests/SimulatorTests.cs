using Tunnel.Core.Contracts;
using Tunnel.Simulation;
using Tunnel.Simulation.Evaluation;

namespace Tunnel.Simulation.Tests;

public sealed class SimulatorTests
{
    private static SimulationOptions ThreeHours(int seed) => new()
    {
        Seed = seed,
        Start = new DateTimeOffset(2025, 6, 2, 15, 0, 0, TimeSpan.FromHours(8)),
        Duration = TimeSpan.FromHours(3),
        Slowdowns = [new SlowdownOptions { Bore = "south", StartsAfter = TimeSpan.FromHours(1), Duration = TimeSpan.FromMinutes(20) }],
    };

    private static string Fingerprint(SimulationResult r) =>
        string.Join('\n', r.Passages.Select(p => $"{p.DeliverAt:O} {TunnelJson.Serialize(p.Passage)}")) +
        System.Text.Json.JsonSerializer.Serialize(r.Truth, TunnelJson.Options);

    [Fact]
    public void The_same_seed_gives_the_same_run_and_another_seed_another()
    {
        var a = TrafficSimulator.Run(ThreeHours(7));
        var b = TrafficSimulator.Run(ThreeHours(7));
        var c = TrafficSimulator.Run(ThreeHours(8));
        Assert.Equal(Fingerprint(a), Fingerprint(b));
        Assert.Equal(a.Truth.Vehicles, b.Truth.Vehicles);
        Assert.NotEqual(Fingerprint(a), Fingerprint(c));
    }

    [Fact]
    public void Stops_scale_with_the_duration_and_a_stop_during_a_slowdown_is_judged_by_congestion()
    {
        var r = TrafficSimulator.Run(ThreeHours(3) with { StopsPerBorePerDay = 80 });
        Assert.All(r.Truth.Bores, b => Assert.Equal(10, b.Stops.Count));
        var slowdown = Assert.Single(r.Truth.Slowdowns);
        Assert.Equal("south", slowdown.Bore);
        Assert.True(slowdown.AftermathUntil > slowdown.To + TimeSpan.FromMinutes(5), "vehicles that entered at 20 km/h need over 10 minutes to leave");
        foreach (var stop in r.Truth.Stops)
        {
            var overlaps = stop.Bore == "south" && stop.StoppedAt <= slowdown.AftermathUntil
                           && Min(stop.ResumedAt, stop.StoppedAt + TimeSpan.FromMinutes(5)) >= slowdown.From;
            Assert.Equal(overlaps, stop.JudgedByCongestion);
        }
        Assert.Contains(r.Truth.Stops, s => s.JudgedByCongestion);
        Assert.Contains(r.Truth.Stops, s => !s.JudgedByCongestion);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [Fact]
    public void The_stream_is_the_delivery_order_and_can_start_now()
    {
        var now = DateTimeOffset.UtcNow;
        var options = ThreeHours(5) with { Start = now, Duration = TimeSpan.FromMinutes(20), Slowdowns = [] };
        var streamed = TrafficSimulator.Stream(options).ToList();
        Assert.Equal(TrafficSimulator.Run(options).Passages.Select(p => p.Passage.EventId), streamed.Select(p => p.Passage.EventId));
        Assert.True(streamed[0].Passage.CapturedAt >= now.AddMilliseconds(-1));
        Assert.True(streamed.Zip(streamed.Skip(1)).All(x => x.First.DeliverAt <= x.Second.DeliverAt));
    }

    [Fact]
    public void Written_files_load_back_and_evaluate_the_same()
    {
        var r = TrafficSimulator.Run(ThreeHours(11));
        var dir = Path.Combine(Path.GetTempPath(), "tunnel-sim-" + Guid.NewGuid().ToString("N"));
        try
        {
            r.WriteTo(dir);
            var all = File.ReadAllLines(Path.Combine(dir, SimulationResult.PassagesFile));
            Assert.Equal(r.Passages.Count + r.Statuses.Count, all.Length);
            // The agents' statuses among them (PassageTests says where).
            var lines = all.Where(l => !l.Contains(AgentStatus.SchemaId)).ToArray();
            Assert.Equal(r.Passages.Count, lines.Length);
            Assert.Equal(r.Passages.Select(p => p.Passage.EventId), lines.Select(l => TunnelJson.Deserialize<Passage>(l)!.EventId));
            Assert.Contains("浙", lines[0] + lines[1] + lines[2] + lines[3] + lines[4] + lines[5]);   // raw UTF-8, not \u escapes

            var loaded = SimulationTruth.Load(Path.Combine(dir, SimulationResult.TruthFile));
            Assert.Equal(r.Truth.Vehicles, loaded.Vehicles);
            Assert.Equal(r.Truth.Stops, loaded.Stops);
            Assert.Equal(r.Truth.Slowdowns, loaded.Slowdowns);
            Assert.Equal(r.Options.Seed, loaded.Options.Seed);
            Assert.Equal(r.Options.Slowdowns.Single(), loaded.Options.Slowdowns.Single());

            var alarms = r.Truth.Stops.Select(s => Oracle.Overdue(s, s.StoppedAt + TimeSpan.FromSeconds(90))).ToList();
            Assert.Equal(AlarmEvaluator.Evaluate(r.Truth, alarms).Format(), AlarmEvaluator.Evaluate(loaded, alarms).Format());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_run_shorter_than_the_default_slowdown_has_no_slowdown()
    {
        var r = TrafficSimulator.Run(new SimulationOptions { Duration = TimeSpan.FromHours(2) });
        Assert.Empty(r.Truth.Slowdowns);
        Assert.Empty(r.Truth.Options.Slowdowns);
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => TrafficSimulator.Run(new SimulationOptions
        {
            Slowdowns = [new SlowdownOptions { Bore = "east", StartsAfter = TimeSpan.Zero, Duration = TimeSpan.FromMinutes(5) }],
        }));
        Assert.Contains("east", e.Message);
    }

    [Fact]
    public void A_single_lane_bore_works_without_lane_changes()
    {
        var options = ThreeHours(2) with
        {
            Bores = [new BoreConfig { Id = "old", LengthMeters = 1200, SpeedLimitKmh = 60, Lanes = 1 }],
            Slowdowns = [],
            PeakVehiclesPerHour = 700,
        };
        var r = TrafficSimulator.Run(options);
        Assert.All(r.Truth.Vehicles, v => Assert.Equal((1, 1), (v.EntryLane, v.ExitLane)));
        Assert.NotEmpty(r.Truth.Stops);
    }
}
