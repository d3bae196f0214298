using Tunnel.Agent.Tests.Support;
using Tunnel.Agent.Vision;
using Tunnel.Core.Contracts;
using Xunit.Abstractions;

namespace Tunnel.Agent.Tests.Vision;

public sealed class SyntheticPassageTests(PlateReaderFixture fixture, ITestOutputHelper output) : IClassFixture<PlateReaderFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tunnel-vision-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Ten vehicles over two lanes: mixed plates and classes, speeds from 30 to 60 km/h, and two cars 1.5 m apart.</summary>
    private static readonly SyntheticVehicle[] TwoLaneTraffic =
    [
        new(1, 0.5, "浙J12345"),
        new(2, 0.9, "皖K7H8J9", SpeedKmh: 50),
        new(1, 2.0, "浙A8B2C7", PlateColor.Yellow, VehicleClass.Truck, 30),
        new(2, 2.5, "浙C13579", PlateColor.Yellow, VehicleClass.Bus, 35),
        new(2, 4.2, "粤B24680", SpeedKmh: 60),
        new(1, 4.6, "沪AD12345", PlateColor.Green, SpeedKmh: 50),
        new(1, 6.0, "苏E5F6G8", Class: VehicleClass.Van),
        new(2, 6.3, "浙D9E8F7", PlateColor.Yellow, VehicleClass.Truck, 30),
        new(1, 8.0, "京N3M4P5", SpeedKmh: 30),
        // Enters 0.73 s after the car ahead at the same speed: 4.6 m car + 1.5 m gap.
        new(1, 8.73, "浙B66688", SpeedKmh: 30),
    ];

    [Fact]
    public void Each_drawn_vehicle_yields_one_passage_in_its_lane_with_its_plate()
    {
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "two-lanes.avi"), 1280, 720, 25, TwoLaneTraffic);
        using var detector = new PassageDetector(clip.Lanes, fixture.Reader);
        var passed = ClipRunner.Run(clip.Path, detector);
        foreach (var p in passed)
            output.WriteLine($"lane {p.Lane} at {ClipRunner.Seconds(p.CapturedAt):F2}s {p.Plate?.Text ?? "-"} {p.Plate?.Color} {p.Class} {p.ClassConfidence:F2} reads {p.Reads}");
        output.WriteLine(detector.Counters.ToString());

        Assert.Equal(clip.Drawn.Count, passed.Count);
        var exact = 0;
        foreach (var lane in clip.Lanes.Select(l => l.Lane))
        {
            var drawn = clip.Drawn.Where(d => d.Vehicle.Lane == lane).OrderBy(d => d.ReachesLoopAt).ToArray();
            var seen = passed.Where(p => p.Lane == lane).OrderBy(p => p.CapturedAt).ToArray();
            Assert.Equal(drawn.Length, seen.Length);
            foreach (var (d, p) in drawn.Zip(seen))
            {
                // Crossing time: within two frames of the moment the drawn front reached the loop line.
                Assert.InRange(ClipRunner.Seconds(p.CapturedAt), d.ReachesLoopAt - 0.01, d.ReachesLoopAt + 0.09);
                if (p.Plate?.Text == d.Vehicle.Plate) exact++;
                Assert.InRange(p.Reads, 1, new PassageDetectorOptions().MaxReadsPerVehicle);
                Assert.Equal(new byte[] { 0xFF, 0xD8 }, p.SnapshotJpeg[..2]);
            }
        }
        Assert.True(exact >= 9, $"{exact} of {clip.Drawn.Count} plates read exactly");
        Assert.True(passed.Count(p => p.Plate?.Color == PlateColor.Yellow) >= 2);
        Assert.Equal(passed.Count, detector.Counters.Vehicles);
        // Recognition ran on a few frames per vehicle, never on every frame.
        Assert.True(detector.Counters.RecognitionRuns <= 3 * passed.Count);
        Assert.True(detector.Counters.RecognitionRuns < clip.Frames / 10);
    }

    [Fact]
    public void A_vehicle_that_stops_on_the_loop_yields_one_passage_and_the_one_behind_it_another()
    {
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "stop.avi"), 1280, 720, 25,
        [
            new(1, 0.4, "浙J55501", StopSeconds: 1.5),
            // Follows 2.5 s behind: it reaches the loop after the first has driven on.
            new(1, 2.9, "浙J55502"),
        ]);
        using var detector = new PassageDetector(clip.Lanes, fixture.Reader);
        var passed = ClipRunner.Run(clip.Path, detector);
        foreach (var p in passed) output.WriteLine($"{ClipRunner.Seconds(p.CapturedAt):F2}s {p.Plate?.Text} reads {p.Reads}");

        Assert.Equal(2, passed.Count);
        Assert.Equal(["浙J55501", "浙J55502"], passed.OrderBy(p => p.CapturedAt).Select(p => p.Plate?.Text));
        Assert.InRange(ClipRunner.Seconds(passed[0].CapturedAt), clip.Drawn[0].ReachesLoopAt - 0.01, clip.Drawn[0].ReachesLoopAt + 0.09);
    }

    [Fact]
    public void Without_a_reader_it_counts_and_classes_by_size()
    {
        var clip = SyntheticTraffic.Render(Path.Combine(_dir, "count.avi"), 1280, 720, 25,
        [
            new(1, 0.4, "浙J00001"),
            new(2, 0.6, "浙A00002", PlateColor.Yellow, VehicleClass.Truck, 35),
            new(1, 1.8, "浙J00003", Class: VehicleClass.Van),
        ]);
        using var detector = new PassageDetector(clip.Lanes, reader: null);
        var passed = ClipRunner.Run(clip.Path, detector).OrderBy(p => p.CapturedAt).ToArray();

        Assert.Equal(3, passed.Length);
        Assert.All(passed, p => Assert.Null(p.Plate));
        Assert.All(passed, p => Assert.Equal(0, p.Reads));
        Assert.All(passed, p => Assert.True(p.SnapshotJpeg.Length > 1000));
        Assert.Equal([VehicleClass.Car, VehicleClass.Truck, VehicleClass.Van], passed.Select(p => p.Class));
        Assert.Equal([1, 2, 1], passed.Select(p => p.Lane));
        Assert.Equal(0, detector.Counters.RecognitionRuns);
        Assert.True(detector.Counters.MotionFrames < detector.Counters.Frames);
    }

    [Fact]
    public void A_still_photo_is_read_within_its_lane()
    {
        using var still = SyntheticTraffic.Still(1280, 720, new SyntheticVehicle(1, 0, "苏E5F6G8"));
        using var detector = new PassageDetector([new LaneView(1, new(460, 0, 360, 720))], fixture.Reader);
        var passed = detector.ProcessStill(still, ClipRunner.Start, 1);
        Assert.Equal("苏E5F6G8", passed.Plate?.Text);
        Assert.Equal(VehicleClass.Car, passed.Class);
        Assert.Equal(1, passed.Reads);
        Assert.Throws<ArgumentException>(() => detector.ProcessStill(still, ClipRunner.Start, 7));
    }
}
