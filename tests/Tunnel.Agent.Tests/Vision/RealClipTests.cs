using Tunnel.Agent.Tests.Support;
using Tunnel.Agent.Vision;
using Tunnel.Recognition.Plates;
using Tunnel.Recognition.Tests;
using Xunit.Abstractions;

namespace Tunnel.Agent.Tests.Vision;

public class RealClipTests(ITestOutputHelper output)
{
    /// <summary>
    /// intel_car-detection.mp4: 768x432, 12.5 fps, 30 s, a fixed camera looking down on a car park lane with
    /// cars driving both ways. Ground truth was counted by eye from a contact sheet of one frame per second
    /// (ffmpeg fps=1, tile 6x5) and checked on the frames where the loop (a horizontal line at half height)
    /// fires: four cars cross the middle of the frame —
    ///   1. a white car driving up, crossing between 5 and 6 s;
    ///   2. a teal car driving down, crossing between 15 and 16.5 s;
    ///   3. a red car driving up beside it, crossing between 15.5 and 17 s;
    ///   4. a white car driving down, crossing between 25 and 26.5 s.
    /// Nothing else moves through the middle (a dark object at the top edge and the exposure changing as white
    /// cars enter are the distractions).
    /// </summary>
    private static readonly (double From, double To)[] Crossings = [(5, 6), (15, 16.5), (15.5, 17), (25, 26.5)];

    [Fact]
    public void Counts_the_cars_that_cross_a_loop_across_the_real_clip()
    {
        var lane = new LaneView(1, new RegionOfInterest(0, 0, 768, 432), LoopLine: 0.5);
        using var detector = new PassageDetector([lane], reader: null);
        var passed = ClipRunner.Run(TestData.File("video", "intel_car-detection.mp4"), detector);
        var times = passed.Select(p => ClipRunner.Seconds(p.CapturedAt)).Order().ToArray();
        output.WriteLine(string.Join(", ", times.Select(t => $"{t:F2}s")));

        // Tolerance of one vehicle: the truth is four, and each eye-counted crossing must be found.
        Assert.InRange(passed.Count, Crossings.Length - 1, Crossings.Length + 1);
        Assert.All(Crossings, c => Assert.Contains(times, t => t >= c.From && t <= c.To));
        Assert.True(detector.Counters.MotionFrames < detector.Counters.Frames / 2, "most of the clip is an empty road");
    }
}
