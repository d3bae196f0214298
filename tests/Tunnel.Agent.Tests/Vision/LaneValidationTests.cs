using Tunnel.Agent.Vision;
using Tunnel.Recognition.Native;

namespace Tunnel.Agent.Tests.Vision;

public class LaneValidationTests
{
    [Fact]
    public void A_region_outside_the_frame_is_named_at_the_first_frame()
    {
        using var detector = new PassageDetector([new LaneView(1, new(0, 0, 320, 240)), new LaneView(2, new(600, 0, 200, 240))], null);
        using var frame = Mat.Create(240, 640, Mat.Type8UC3);
        var e = Assert.Throws<ArgumentException>(() => detector.Process(frame, DateTimeOffset.UnixEpoch));
        Assert.Contains("lane 2", e.Message);
        Assert.Contains("outside the 640x240 frame", e.Message);
    }

    [Fact]
    public void A_frame_of_another_size_later_is_refused()
    {
        using var detector = new PassageDetector([new LaneView(1, new(0, 0, 320, 240))], null);
        using var first = Mat.Create(240, 320, Mat.Type8UC3);
        using var bigger = Mat.Create(480, 640, Mat.Type8UC3);
        detector.Process(first, DateTimeOffset.UnixEpoch);
        var e = Assert.Throws<ArgumentException>(() => detector.Process(bigger, DateTimeOffset.UnixEpoch.AddSeconds(1)));
        Assert.Contains("320x240 to 640x480", e.Message);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(0.5, -3.0)]
    public void Impossible_lane_settings_fail_at_construction(double loop, double ppm) =>
        Assert.Throws<ArgumentException>(() => new PassageDetector([new LaneView(1, new(0, 0, 10, 10), loop, ppm)], null));

    [Fact]
    public void A_lane_configured_twice_or_no_lane_fails_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new PassageDetector([new LaneView(1, new(0, 0, 10, 10)), new LaneView(1, new(10, 0, 10, 10))], null));
        Assert.Throws<ArgumentException>(() => new PassageDetector([], null));
        Assert.Throws<ArgumentException>(() => new PassageDetector([new LaneView(1, new(0, 0, 10, 10))], null, new PassageDetectorOptions { MaxReadsPerVehicle = 0 }));
    }
}
