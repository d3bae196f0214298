using System.Diagnostics;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// Figures from one <see cref="DetectorBench"/> run. Gating is everything but recognition (motion gate,
/// trackers, loops, candidate crops), timed on the wall clock per frame. <see cref="DetectorCpuMillisecondsPerFrame"/>
/// is the detector's whole CPU time (every thread, recognition included) per frame: below 1000/fps, the stream
/// fits in one core. Wall times grow on a loaded machine; CPU time much less.
/// </summary>
public sealed record DetectorBenchResult(
    string Video, int Width, int Height, int Frames, int Vehicles,
    double GatingMillisecondsPerFrame, double GatingP95Milliseconds, double DetectorCpuMillisecondsPerFrame,
    long RecognitionRuns, double RecognitionMillisecondsPerRun, double DecodeCpuMillisecondsPerFrame)
{
    public double GatingFramesPerSecond => GatingMillisecondsPerFrame > 0 ? 1000 / GatingMillisecondsPerFrame : 0;
    public double RecognitionRunsPerVehicle => Vehicles == 0 ? 0 : (double)RecognitionRuns / Vehicles;

    public override string ToString() =>
        $"{Video} at {Width}x{Height}, {Frames} frames: gating {GatingMillisecondsPerFrame:F2} ms/frame (p95 {GatingP95Milliseconds:F2}) = " +
        $"{GatingFramesPerSecond:F0} fps; {Vehicles} vehicles, {RecognitionRuns} recognition runs ({RecognitionRunsPerVehicle:F1} per vehicle, " +
        $"{RecognitionMillisecondsPerRun:F0} ms each); detector CPU {DetectorCpuMillisecondsPerFrame:F2} ms/frame with recognition; " +
        $"decoding + scaling {DecodeCpuMillisecondsPerFrame:F2} ms CPU/frame (not counted)";
}

/// <summary>
/// Measures the detector on a video scaled to a camera's resolution (1080p by default). The video is read
/// twice: once decoding and scaling only, once also detecting, so the detector's CPU time is the difference
/// and decoding (the frame source's cost, not the detector's) is left out.
/// </summary>
public static class DetectorBench
{
    /// <param name="lanes">Lanes in the scaled frame's pixels; null = one lane over the whole frame, loop at half height.</param>
    /// <param name="reader">Null measures gating only (no recognition runs).</param>
    public static DetectorBenchResult Run(string videoPath, int width = 1920, int height = 1080, IReadOnlyList<LaneView>? lanes = null,
        PlateReader? reader = null, PassageDetectorOptions? options = null, int maxFrames = int.MaxValue)
    {
        lanes ??= [new LaneView(1, new RegionOfInterest(0, 0, width, height), LoopLine: 0.5)];
        // Warm-up: the first frames through a throwaway detector pay for JIT compilation and OpenCV's lazy set-up.
        using (var warmUp = new PassageDetector(lanes, null, options))
            ForEachFrame(videoPath, width, height, Math.Min(maxFrames, 30), (frame, at) => warmUp.Process(frame, at));
        var decodeCpu = ProcessCpu(() => ForEachFrame(videoPath, width, height, maxFrames, (_, _) => { }));

        var gatingMs = new List<double>();
        using var detector = new PassageDetector(lanes, reader, options);
        var vehicles = 0;
        var recognitionBefore = 0.0;
        var detectCpu = ProcessCpu(() =>
        {
            ForEachFrame(videoPath, width, height, maxFrames, (frame, at) =>
            {
                var clock = Stopwatch.StartNew();
                vehicles += detector.Process(frame, at).Count;
                var elapsed = clock.Elapsed.TotalMilliseconds;
                var recognition = detector.Counters.RecognitionMilliseconds;
                gatingMs.Add(elapsed - (recognition - recognitionBefore));
                recognitionBefore = recognition;
            });
            vehicles += detector.Flush().Count;
        });

        var counters = detector.Counters;
        var frames = gatingMs.Count;
        gatingMs.Sort();
        return new DetectorBenchResult(Path.GetFileName(videoPath), width, height, frames, vehicles,
            frames == 0 ? 0 : gatingMs.Average(),
            frames == 0 ? 0 : gatingMs[(int)Math.Min(frames - 1, Math.Ceiling(0.95 * frames) - 1)],
            frames == 0 ? 0 : Math.Max(0, detectCpu - decodeCpu) / frames,
            counters.RecognitionRuns,
            counters.RecognitionRuns == 0 ? 0 : counters.RecognitionMilliseconds / counters.RecognitionRuns,
            frames == 0 ? 0 : decodeCpu / frames);
    }

    private static void ForEachFrame(string path, int width, int height, int maxFrames, Action<Mat, DateTimeOffset> body)
    {
        using var video = VideoSource.Open(path);
        var fps = video.Fps > 0 ? video.Fps : 25;
        var start = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < maxFrames && video.Read() is { } frame; i++)
        {
            using (frame)
            {
                if (frame.Width == width && frame.Height == height)
                {
                    body(frame, start.AddSeconds(i / fps));
                }
                else
                {
                    using var scaled = Cv.Resize(frame, width, height);
                    body(scaled, start.AddSeconds(i / fps));
                }
            }
        }
    }

    private static double ProcessCpu(Action action)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMilliseconds;
    }
}
