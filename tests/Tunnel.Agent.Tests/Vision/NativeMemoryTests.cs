using Tunnel.Agent.Tests.Support;
using Tunnel.Agent.Vision;
using Tunnel.Recognition.Native;
using Tunnel.Recognition.Tests;

namespace Tunnel.Agent.Tests.Vision;

/// <summary>The native object counter is process-wide: this collection runs alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(NativeMemoryTests), DisableParallelization = true)]
public class NativeMemoryCollection;

[Collection(nameof(NativeMemoryTests))]
public class NativeMemoryTests
{
    [Fact]
    public void Native_objects_stay_bounded_while_running_and_return_to_baseline_after_dispose()
    {
        var path = TestData.File("video", "intel_car-detection.mp4");
        var lane = new LaneView(1, new(0, 0, 768, 432), 0.5);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = Cv.LiveNativeObjects;
        long peak = 0;
        var passed = 0;
        using (var video = VideoSource.Open(path))
        using (var detector = new PassageDetector([lane], null))
        {
            var i = 0;
            while (video.Read() is { } frame)
            {
                using (frame) passed += detector.Process(frame, ClipRunner.Start.AddSeconds(i++ / 12.5)).Count;
                peak = Math.Max(peak, Cv.LiveNativeObjects - baseline);
            }
            passed += detector.Flush().Count;
        }
        Assert.True(passed >= 3);
        // Video + background model + a few candidate crops per tracked vehicle: a per-frame leak over 377 frames would pass 100.
        Assert.True(peak < 60, $"{peak} native objects alive at the peak");
        Assert.Equal(baseline, Cv.LiveNativeObjects);
    }
}
