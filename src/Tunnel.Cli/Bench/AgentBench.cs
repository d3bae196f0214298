using Tunnel.Agent.Vision;
using Tunnel.Recognition.Plates;

namespace Tunnel.Cli.Bench;

/// <summary>
/// Issue 3's budget for the edge agent: a 1080p stream at 25 fps must fit in one core, so decoding,
/// the motion gate and loop, and the recognition runs of the vehicles in it must together stay under
/// 40 ms of CPU per frame.
/// </summary>
public static class AgentBench
{
    public const double FrameBudgetMs = 1000.0 / 25;

    public static string? DefaultVideo =>
        Path.GetFullPath(Path.Combine("..", "shared", "data", "video", "intel_car-detection.mp4")) is var p && File.Exists(p) ? p : null;

    public static void Run(BenchReport report, string? video, int maxFrames, IProgress<double>? progress)
    {
        if (video is null || !File.Exists(video))
        {
            report.Notes.Add($"agent: no clip ({video ?? "../shared/data/video/intel_car-detection.mp4"} not found; pass --video): not measured");
            return;
        }
        var gating = DetectorBench.Run(video, maxFrames: maxFrames);
        progress?.Report(0.5);
        using var reader = PlateReader.Create();
        var full = DetectorBench.Run(video, reader: reader, maxFrames: maxFrames);
        progress?.Report(1);
        report.Add(new BenchFigure("agent", "decode + detector CPU per 1080p frame, with recognition", full.DecodeCpuMillisecondsPerFrame + full.DetectorCpuMillisecondsPerFrame,
            "ms", FrameBudgetMs, TargetKind.AtMost, $"{full}; CPU time of the process, so other load on the machine barely moves it"));
        report.Add(new BenchFigure("agent", "motion gate and loop per frame (wall)", gating.GatingMillisecondsPerFrame, "ms",
            Note: $"p95 {gating.GatingP95Milliseconds:0.0} ms, {gating.Vehicles} vehicles counted, no recognition"));
        report.Add(new BenchFigure("agent", "decoding and scaling CPU per frame", full.DecodeCpuMillisecondsPerFrame, "ms"));
        report.Add(new BenchFigure("agent", "recognition runs per vehicle", full.RecognitionRunsPerVehicle, "runs",
            Note: $"{full.RecognitionMillisecondsPerRun:0} ms per run"));
    }
}
