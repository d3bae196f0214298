using Tunnel.Agent.Vision;
using Tunnel.Recognition.Tests;
using Xunit.Abstractions;

namespace Tunnel.Agent.Tests.Vision;

public class DetectorBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Bench_runs_the_real_clip_at_a_chosen_resolution_and_counts_its_cars()
    {
        // A small resolution keeps the test quick; `tunnel bench` runs it at 1080p. Timings are reported, not asserted.
        var result = DetectorBench.Run(TestData.File("video", "intel_car-detection.mp4"), 960, 540);
        output.WriteLine(result.ToString());
        Assert.Equal(377, result.Frames);
        Assert.Equal((960, 540), (result.Width, result.Height));
        Assert.InRange(result.Vehicles, 3, 5);
        Assert.Equal(0, result.RecognitionRuns);
        Assert.True(result.GatingMillisecondsPerFrame > 0);
    }
}
