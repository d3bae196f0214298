using System.Text.Json;
using Tunnel.Cli.Bench;
using Tunnel.Cli.Commands;

namespace Tunnel.Cli.Tests;

/// <summary>
/// `tunnel bench` with tiny sizes: every part runs (the latency part through a real private
/// mosquitto) and the report is well formed. Speed goals live in the benchmark, never here.
/// </summary>
[Collection(LatencyBenchTests.Collection)]
public sealed class BenchTests
{
    [Fact]
    public async Task Every_part_runs_and_reports_positive_figures()
    {
        var report = new BenchReport { Command = "test" };
        var sizes = new BenchCommand.BenchSizes(Hours: 1, Seed: 3, Runs: 1, Vehicles: 300, Rate: 200, LatencyDuration: TimeSpan.FromSeconds(2))
        {
            Warmup = TimeSpan.FromSeconds(0.5),
            Drain = TimeSpan.FromSeconds(20),
            Video = SharedClip(),
            AgentFrames = 150,
        };

        await BenchCommand.RunQuietAsync(report, BenchCommand.Parts.ToHashSet(), sizes, CancellationToken.None);

        foreach (var section in new[] { "replay", "memory", "store", "latency", "latency (save every change)", "agent" })
            Assert.Contains(report.Figures, f => f.Section == section);
        // The save-on-every-change broker may legitimately fall behind on a loaded machine (that is what
        // it is there to show): its figures need only be finite and non-negative.
        Assert.All(report.Figures, f => Assert.True(double.IsFinite(f.Value) && f.Value >= 0, $"{f.Section} / {f.Name} = {f.Value}"));
        Assert.All(report.Figures.Where(f => f.Section != "latency (save every change)"),
            f => Assert.True(f.Value > 0, $"{f.Section} / {f.Name} = {f.Value}"));
        Assert.All(report.Figures.Where(f => f.Target is not null), f => Assert.NotNull(f.Pass));
        Assert.Contains(report.Figures, f => f.Section == "replay" && f.Name.StartsWith("engine only, median", StringComparison.Ordinal));
        Assert.Contains(report.Figures, f => f.Section == "latency" && f.Name == "decision p99" && f.Target == BenchCommand.LatencyP99Target);

        using var json = JsonDocument.Parse(report.ToJson());
        var figures = json.RootElement.GetProperty("figures");
        Assert.Equal(report.Figures.Count, figures.GetArrayLength());
        Assert.All(figures.EnumerateArray(), f => Assert.True(f.GetProperty("value").GetDouble() >= 0));
        Assert.Equal(JsonValueKind.String, figures[0].GetProperty("unit").ValueKind);
        Assert.True(json.RootElement.GetProperty("allPass").ValueKind is JsonValueKind.True or JsonValueKind.False);
    }

    /// <summary>The real clip beside the repository (../shared/data/video); its absence fails with the path it looked for.</summary>
    private static string SharedClip()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tunnel.sln")))
            {
                var clip = Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data", "video", "intel_car-detection.mp4"));
                return File.Exists(clip) ? clip : throw new FileNotFoundException($"the agent bench reads the shared clip: {clip} is missing");
            }
        throw new DirectoryNotFoundException($"no Tunnel.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Distribution_uses_nearest_rank()
    {
        var d = Distribution.Of(Enumerable.Range(1, 100).Select(i => (double)i));
        Assert.Equal((1, 50, 95, 99, 100), (d.Min, d.P50, d.P95, d.P99, d.Max));
    }

    [Fact]
    public void Compressed_clock_reads_the_first_delivery_until_started_then_runs_on_from_it()
    {
        var t0 = new DateTimeOffset(2025, 6, 2, 7, 0, 0, TimeSpan.FromHours(8));
        var deliveries = new[] { t0, t0.AddSeconds(2), t0.AddSeconds(2), t0.AddSeconds(10) };
        var clock = new CompressedClock(deliveries, rate: 1000);
        Assert.Equal(t0, clock.GetUtcNow());
        // 10 simulated seconds over 3 deliveries sent 1 ms apart.
        Assert.Equal(10 / 0.003, clock.Compression, 6);
        clock.Start();
        var first = clock.GetUtcNow();
        var second = clock.GetUtcNow();
        Assert.True(first >= t0 && second >= first, $"{first:O} then {second:O}");
    }
}
